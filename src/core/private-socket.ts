import fs from 'node:fs';
import net from 'node:net';

/**
 * Listens on a Unix socket only root can open (0600, in the daemon's 0700 run directory),
 * replacing one left by a daemon that died.
 */
export function listenPrivately(socketPath: string, onConnection: (socket: net.Socket) => void): Promise<net.Server> {
  fs.rmSync(socketPath, { force: true });
  const server = net.createServer(onConnection);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => {
      fs.chmodSync(socketPath, 0o600);
      resolve(server);
    });
  });
}

/**
 * Calls `onLine` with the first line a client sends (without its newline) and the bytes that
 * came after it in the same chunk. Each chunk is searched once; a client that sends more than
 * `maxBytes` with no newline is cut off.
 */
export function onFirstLine(socket: net.Socket, maxBytes: number, onLine: (line: Buffer, rest: Buffer) => void): void {
  const before: Buffer[] = [];
  let size = 0;
  const onData = (chunk: Buffer) => {
    const newline = chunk.indexOf(0x0a);
    if (newline === -1) {
      before.push(chunk);
      size += chunk.length;
      if (size > maxBytes) socket.destroy();
      return;
    }
    socket.off('data', onData);
    onLine(Buffer.concat([...before, chunk.subarray(0, newline)]), chunk.subarray(newline + 1));
  };
  socket.on('data', onData);
}
