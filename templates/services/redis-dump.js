// redis:export: writes every key of the local Redis as a RESTORE command in RESP, with its
// remaining TTL, so `redis-cli --pipe` replays them into another Redis (redis:import).
// A few lines of binary-safe RESP; runs with the stack's Node.js, needs no package.
const net = require('node:net');

const socket = net.connect(6379, '127.0.0.1');
let buffer = Buffer.alloc(0);
const waiting = [];

function encode(words) {
  const parts = [Buffer.from(`*${words.length}\r\n`)];
  for (const word of words) {
    const bytes = Buffer.isBuffer(word) ? word : Buffer.from(String(word));
    parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

// One reply starting at `at`: [value, next index], or undefined while incomplete.
function parse(at) {
  const end = buffer.indexOf('\r\n', at);
  if (end < 0) return undefined;
  const head = buffer.toString('latin1', at + 1, end);
  switch (String.fromCharCode(buffer[at])) {
    case '+':
      return [head, end + 2];
    case '-':
      return [new Error(head), end + 2];
    case ':':
      return [Number(head), end + 2];
    case '$': {
      const size = Number(head);
      if (size < 0) return [null, end + 2];
      if (buffer.length < end + 2 + size + 2) return undefined;
      return [buffer.subarray(end + 2, end + 2 + size), end + 4 + size];
    }
    case '*': {
      const items = [];
      let next = end + 2;
      for (let i = 0; i < Number(head); i++) {
        const item = parse(next);
        if (!item) return undefined;
        items.push(item[0]);
        next = item[1];
      }
      return [items, next];
    }
    default:
      throw new Error(`unexpected reply from Redis: ${head}`);
  }
}

socket.on('data', (chunk) => {
  buffer = Buffer.concat([buffer, chunk]);
  for (let reply = parse(0); reply && waiting.length; reply = parse(0)) {
    buffer = buffer.subarray(reply[1]);
    const { resolve, reject } = waiting.shift();
    if (reply[0] instanceof Error) reject(reply[0]);
    else resolve(reply[0]);
  }
});

const call = (...words) =>
  new Promise((resolve, reject) => {
    waiting.push({ resolve, reject });
    socket.write(encode(words));
  });

const write = (bytes) =>
  process.stdout.write(bytes) ? Promise.resolve() : new Promise((r) => process.stdout.once('drain', r));

async function main() {
  if (process.env.REDISCLI_AUTH) await call('AUTH', process.env.REDISCLI_AUTH);
  let cursor = '0';
  do {
    const [next, keys] = await call('SCAN', cursor, 'COUNT', 1000);
    cursor = next.toString();
    for (const key of keys) {
      const dump = await call('DUMP', key);
      if (dump === null) continue; // expired meanwhile
      const ttl = await call('PTTL', key);
      await write(encode(['RESTORE', key, ttl > 0 ? ttl : 0, dump, 'REPLACE']));
    }
  } while (cursor !== '0');
  socket.end();
}

main().catch((error) => {
  process.stderr.write(`redis export failed: ${error.message}\n`);
  process.exit(1);
});
