import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { DrainBuffer } from '../../src/drains/buffer.js';
import { ndjsonBodies } from '../../src/drains/ndjson.js';
import { dockerSince, parseDockerLine, PositionFilter, type DrainRecord } from '../../src/drains/records.js';
import { formatSyslog, frameOctetCounted } from '../../src/drains/syslog.js';
import { checkDrainUrl } from '../../src/drains/targets.js';
import { parseJson } from '../support/json.js';

const record = (n: number, message = `line ${n}`): DrainRecord => ({
  time: '2026-12-06T23:04:13.123456789Z',
  app: 'shop',
  process: 'web',
  index: 1,
  release: 7,
  message,
});

describe('RFC 5424 messages in octet-counting framing', () => {
  test('APP-NAME is the app, PROCID the process and index, the release in structured data, the time to microseconds', () => {
    expect(formatSyslog(record(1, 'GET / 200'), 'host-1')).toBe(
      '<14>1 2026-12-06T23:04:13.123456Z host-1 shop web.1 - [slipway@32473 release="7"] GET / 200',
    );
    expect(formatSyslog({ ...record(1), time: '2026-12-06T23:04:13Z' }, 'h')).toContain(' 2026-12-06T23:04:13Z h ');
  });

  test('header fields hold no space or control character, and are never empty', () => {
    const message = formatSyslog({ ...record(1), process: 'we b\n' }, '');
    expect(message.split(' ').slice(0, 6)).toEqual([
      '<14>1',
      '2026-12-06T23:04:13.123456Z',
      '-',
      'shop',
      'we_b_.1',
      '-',
    ]);
  });

  test('a frame is the message length in bytes (not characters), a space, the message', () => {
    const message = formatSyslog(record(1, 'héllo ✓'), 'h');
    const frame = frameOctetCounted(message);
    const [length, ...rest] = frame.toString('utf8').split(' ');
    expect(Number(length)).toBe(Buffer.byteLength(message));
    expect(Number(length)).toBeGreaterThan(message.length);
    expect(rest.join(' ')).toBe(message);
  });
});

describe('NDJSON batches for HTTPS drains', () => {
  test('one JSON object a line with app, process.index, release and time, in order', () => {
    const [body, ...more] = ndjsonBodies([record(1), record(2)], 1024 * 1024);
    expect(more).toEqual([]);
    const lines = body!.toString('utf8').split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.map((l) => parseJson<Record<string, unknown>>(l))).toEqual([
      { time: record(1).time, app: 'shop', process: 'web.1', release: 7, message: 'line 1' },
      { time: record(2).time, app: 'shop', process: 'web.1', release: 7, message: 'line 2' },
    ]);
  });

  test('bodies stay under the size asked for; a record larger than that goes alone; nothing is lost', () => {
    const records = [record(1), record(2, 'x'.repeat(500)), record(3), record(4), record(5)];
    const bodies = ndjsonBodies(records, 300);
    const messages = bodies.flatMap((b) =>
      b
        .toString('utf8')
        .trimEnd()
        .split('\n')
        .map((l) => parseJson<{ message: string }>(l).message),
    );
    expect(messages).toEqual(records.map((r) => r.message));
    for (const body of bodies)
      expect(body.length <= 300 || body.toString().trimEnd().split('\n').length === 1).toBe(true);
    expect(bodies.length).toBeGreaterThan(2);
  });
});

describe("a container's log position", () => {
  test("Docker's timestamped lines are read with their instant, which sorts whatever the digits", () => {
    const a = parseDockerLine('2026-12-06T23:04:13.1Z first')!;
    const b = parseDockerLine('2026-12-06T23:04:13.12Z second one')!;
    expect(a.text).toBe('first');
    expect(b.text).toBe('second one');
    expect(a.instant < b.instant).toBe(true);
    expect(dockerSince(b.instant)).toBe(`${Date.parse('2026-12-06T23:04:13Z') / 1000}.120000000`);
    expect(parseDockerLine('2026-12-06T23:04:13.5Z')?.text).toBe('');
    expect(parseDockerLine('no timestamp')).toBeUndefined();
  });

  test('after a restart, lines up to the saved position are skipped, those sharing its instant counted', () => {
    const first = new PositionFilter(undefined);
    const stamps = ['1', '2', '2', '3'].map((s) => `00000000000${s}.000000000`);
    expect(stamps.map((s) => first.take(s))).toEqual([true, true, true, true]);
    // Read again from the second line's instant (Docker's since includes it), having taken the first `2` only.
    const again = new PositionFilter({ instant: stamps[1]!, taken: 1 });
    expect(stamps.slice(1).map((s) => again.take(s))).toEqual([false, true, true]);
    expect(again.current).toEqual({ instant: stamps[3], taken: 1 });
  });
});

describe('a drain buffer on disk', () => {
  const dirs: string[] = [];
  const tempDir = () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drain-buffer-'));
    dirs.push(dir);
    return dir;
  };
  afterEach(() => dirs.splice(0).forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

  const deliverAll = (buffer: DrainBuffer): string[] => {
    const messages: string[] = [];
    for (let batch = buffer.peek(4096); batch; batch = buffer.peek(4096)) {
      messages.push(...batch.records.map((r) => r.message));
      buffer.delivered(batch);
    }
    return messages;
  };

  test('delivers in order, and after a reopen (a daemon restart) goes on from what was delivered', () => {
    const dir = tempDir();
    const buffer = new DrainBuffer(dir, 1024 * 1024);
    buffer.append([record(1), record(2), record(3)]);
    const batch = buffer.peek(4096)!;
    expect(batch.records.map((r) => r.message)).toEqual(['line 1', 'line 2', 'line 3']);
    expect(buffer.peek(4096)!.records).toHaveLength(3); // not delivered yet: the same lines again
    buffer.delivered(batch);
    buffer.append([record(4)]);
    buffer.close();

    const reopened = new DrainBuffer(dir, 1024 * 1024);
    expect(reopened.counts).toMatchObject({ delivered: 3, buffered: 1, dropped: 0 });
    expect(deliverAll(reopened)).toEqual(['line 4']);
    expect(reopened.empty).toBe(true);
  });

  test('lines sent but not confirmed are read past, and sent again after a rewind (their connection ended)', () => {
    const buffer = new DrainBuffer(tempDir(), 1024 * 1024);
    buffer.append([record(1), record(2)]);
    const first = buffer.peek(4096)!;
    buffer.sent(first);
    buffer.append([record(3)]);
    const second = buffer.peek(4096)!;
    expect(second.records.map((r) => r.message)).toEqual(['line 3']);
    buffer.sent(second);
    expect(buffer.peek(4096)).toBeUndefined();
    buffer.delivered(first);
    buffer.rewind();
    expect(buffer.peek(4096)!.records.map((r) => r.message)).toEqual(['line 3']);
    expect(buffer.counts).toMatchObject({ delivered: 2, buffered: 1 });
  });

  test('past its cap the oldest lines are dropped and counted; what is kept is delivered, newest last', () => {
    const cap = 64 * 1024;
    const buffer = new DrainBuffer(tempDir(), cap);
    const total = 2000;
    for (let n = 1; n <= total; n++) buffer.append([record(n, `line ${n} ${'x'.repeat(100)}`)]);
    const { dropped, buffered } = buffer.counts;
    expect(dropped).toBeGreaterThan(0);
    expect(dropped + buffered).toBe(total);
    const delivered = deliverAll(buffer).map((m) => Number(m.split(' ')[1]));
    expect(delivered).toEqual(Array.from({ length: buffered }, (_, i) => dropped + 1 + i));
    expect(buffer.counts).toMatchObject({ delivered: buffered, dropped, buffered: 0 });
    const onDisk = fs
      .readdirSync(buffer['dir'])
      .reduce((sum, f) => sum + fs.statSync(path.join(buffer['dir'], f)).size, 0);
    expect(onDisk).toBeLessThan(cap + 4096);
  });

  test('lines delivered before the cap is reached are not counted as dropped', () => {
    const buffer = new DrainBuffer(tempDir(), 32 * 1024);
    for (let n = 1; n <= 1000; n++) {
      buffer.append([record(n, 'y'.repeat(100))]);
      deliverAll(buffer);
    }
    expect(buffer.counts).toMatchObject({ delivered: 1000, dropped: 0, buffered: 0 });
  });

  test('a record a crash cut short at the end of a segment is skipped, the next ones delivered', () => {
    const dir = tempDir();
    const buffer = new DrainBuffer(dir, 1024 * 1024);
    buffer.append([record(1)]);
    buffer.close();
    const [segment] = fs.readdirSync(dir).filter((f) => f.endsWith('.ndjson'));
    fs.appendFileSync(path.join(dir, segment!), '{"time":"2026-12-');
    const reopened = new DrainBuffer(dir, 1024 * 1024);
    reopened.append([record(2)]);
    expect(deliverAll(reopened)).toEqual(['line 1', 'line 2']);
  });
});

describe('drain URLs', () => {
  test('syslog, syslog+tls and https are taken, each in its one form', async () => {
    expect((await checkDrainUrl('syslog+tls://logs.example.com:6514', false)).url).toBe(
      'syslog+tls://logs.example.com:6514',
    );
    expect((await checkDrainUrl('syslog://127.0.0.1:5514', false)).port).toBe(5514);
    expect((await checkDrainUrl('syslog+tls://Logs.Example.com', false)).port).toBe(6514);
    expect((await checkDrainUrl('https://127.0.0.1:8443/in', false)).url).toBe('https://127.0.0.1:8443/in');
  });

  test.each([
    ['http://logs.example.com/', /not accepted here/],
    ['syslog://logs.example.com:514/path', /no path/],
    ['https://user:pw@logs.example.com/', /no user name or password/],
    ['syslog://logs.example.com:0', /invalid port/],
    ['tcp://logs.example.com:514', /give the URL as/],
  ])('%s is refused', async (url, reason) => {
    await expect(checkDrainUrl(url, false)).rejects.toThrow(reason);
  });

  test("a tenant's drain must lead to a public address: loopback and this host's own are refused without saying why", async () => {
    for (const url of ['syslog://127.0.0.1:514', 'https://[::1]:8443/', 'syslog+tls://10.0.0.1:6514'])
      await expect(checkDrainUrl(url, true)).rejects.toThrow(/is unreachable, refused, or not a public address/);
  });
});
