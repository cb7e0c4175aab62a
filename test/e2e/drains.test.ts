import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import type { DrainJson } from '../../src/commands/drains/index.js';
import { parseJson } from '../support/json.js';
import { freePort } from '../support/ports.js';
import { Rsyslog, RSYSLOG_TLS } from '../support/rsyslog.js';
import { eventually, makeKey, SlipwayUnderTest, type SshKey } from '../support/slipway.js';
import { writeSelfSigned } from '../support/tls.js';

// Log drains against a real rsyslog from Debian (TCP, and TLS through its GnuTLS driver when
// rsyslog-gnutls is installed, as scripts/test does) and an HTTPS receiver in this process. The app prints a numbered line every 100 ms, so a lost
// line is a gap in the numbers each receiver got.

const dir = fs.mkdtempSync('/tmp/slipway-drains-');
const tls = { cert: path.join(dir, 'cert.pem'), key: path.join(dir, 'key.pem') };
const slipway = new SlipwayUnderTest(inject('redisUrl'), { SLIPWAY_LOG_DRAIN_CA_FILE: tls.cert });
const APP = 'counter';
let tenant: SshKey;
/** An HTTPS server taking NDJSON POSTs, as a log service would; it can go away and come back on its port. */
class HttpsReceiver {
  port = 0;
  lines: { app: string; process: string; release: number; time: string; message: string }[] = [];
  private server?: https.Server;
  private readonly sockets = new Set<Duplex>();

  async start(): Promise<void> {
    this.port ||= await freePort();
    this.server = https.createServer({ cert: fs.readFileSync(tls.cert), key: fs.readFileSync(tls.key) }, (req, res) => {
      let body = '';
      req.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      req.on('end', () => {
        for (const line of body.split('\n').filter(Boolean)) this.lines.push(parseJson(line));
        res.writeHead(204).end();
      });
    });
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
  }

  async stop(): Promise<void> {
    const closed = new Promise((resolve) => this.server?.close(resolve));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }
}

const rsyslog = new Rsyslog(dir, tls);
const receiver = new HttpsReceiver();

/** The numbers of the app's `count N` lines among what a receiver got. */
const counts = (messages: string[]) =>
  messages.flatMap((m) => {
    const match = /count (\d+)$/.exec(m);
    return match ? [Number(match[1])] : [];
  });
const syslogCounts = (file?: string) => counts(rsyslog.lines(file).filter((l) => l.startsWith(`${APP} web.1 `)));
/** What each syslog drain received: the TLS one only where rsyslog can take TLS. */
const eachSyslog = () => [syslogCounts(), ...(RSYSLOG_TLS ? [syslogCounts(`${rsyslog.out}.tls`)] : [])];
const httpsCounts = () => counts(receiver.lines.filter((l) => l.app === APP).map((l) => l.message));

/** The numbers missing between the first and the last one received. */
function gaps(numbers: number[]): number[] {
  const got = new Set(numbers);
  const missing: number[] = [];
  for (let n = Math.min(...numbers); n <= Math.max(...numbers); n++) if (!got.has(n)) missing.push(n);
  return missing;
}

const waitForCount = (read: () => number[], past: number) =>
  eventually(
    async () => read(),
    (numbers) => numbers.length > 0 && Math.max(...numbers) > past,
    60_000,
  );

const drainList = (app = APP) => slipway.sshJson<DrainJson[]>(['drains:list', app, '--format', 'json']);

beforeAll(async () => {
  await writeSelfSigned(tls, ['localhost']);
  await rsyslog.start();
  await receiver.start();
  await slipway.start();
  tenant = await makeKey(slipway.dir, 'tenant');
  const added = await slipway.ssh(['ssh-keys:add', 'tenant'], { input: fs.readFileSync(tenant.publicPath, 'utf8') });
  expect(added.code, added.output).toBe(0);

  const repo = await slipway.appRepo('dockerfile-app', APP);
  fs.appendFileSync(
    path.join(repo, 'server.js'),
    'let count = 0;\nsetInterval(() => console.log(`count ${++count}`), 100);\n',
  );
  await slipway.commit(repo, 'a numbered line every 100 ms');
  const pushed = await slipway.push(repo);
  expect(pushed.code, pushed.output).toBe(0);
});

afterAll(async () => {
  await slipway.destroy();
  await rsyslog.stop();
  await receiver.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('log drains', () => {
  test("an app's lines arrive at syslog (TCP and TLS) and HTTPS drains with app, process and release", async () => {
    for (const url of [`syslog://127.0.0.1:${rsyslog.plainPort}`, `syslog+tls://localhost:${rsyslog.tlsPort}`]) {
      const added = await slipway.ssh(['drains:add', APP, url]);
      expect(added.code, added.output).toBe(0);
      expect(added.stdout).toContain(`-----> Added drain ${url}`);
    }
    const global = await slipway.ssh(['drains:add', '--global', `https://localhost:${receiver.port}/logs`]);
    expect(global.code, global.output).toBe(0);
    const again = await slipway.ssh(['drains:add', APP, `syslog://127.0.0.1:${rsyslog.plainPort}`]);
    expect(again.stdout).toContain('already a drain of counter');

    await eventually(
      async () => [...eachSyslog(), httpsCounts()],
      (all) => all.every((numbers) => numbers.length > 20),
      60_000,
    );
    for (const file of [rsyslog.out, ...(RSYSLOG_TLS ? [`${rsyslog.out}.tls`] : [])])
      expect(rsyslog.lines(file).find((l) => /count \d+$/.test(l))).toMatch(
        /^counter web\.1 \[slipway@32473 release="1"\] count \d+$/,
      );
    expect(receiver.lines.find((l) => l.message.startsWith('count'))).toMatchObject({
      app: APP,
      process: 'web.1',
      release: 1,
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/) as unknown,
    });
    for (const numbers of [...eachSyslog(), httpsCounts()]) expect(gaps(numbers)).toEqual([]);

    const listed = await drainList();
    expect(listed.map((d) => d.app).sort()).toEqual(['--global', APP, ...(RSYSLOG_TLS ? [APP] : [])]);
    for (const drain of listed) expect(drain).toMatchObject({ dropped: 0, lastError: null });
    await eventually(drainList, (drains) => drains.every((d) => d.delivered > 0), 10_000);
  });

  test('a daemon killed (kill -9) and started again loses no line', async () => {
    const before = Math.max(...syslogCounts());
    await slipway.killDaemon();
    await new Promise((resolve) => setTimeout(resolve, 3000)); // the app goes on printing meanwhile
    await slipway.startDaemon();
    await waitForCount(syslogCounts, before + 50);
    await waitForCount(httpsCounts, before + 50);
    for (const numbers of [...eachSyslog(), httpsCounts()]) expect(gaps(numbers)).toEqual([]);
  });

  test('a drain that is down for a while gets what was buffered once it is back; the report says how it went', async () => {
    await rsyslog.stop();
    await receiver.stop();
    const down = Math.max(...syslogCounts());
    await eventually(drainList, (drains) => drains.every((d) => d.buffered > 10 && d.lastError !== null), 30_000);
    const report = await slipway.ssh(['drains:report', APP]);
    expect(report.stdout).toMatch(/Drains buffered:\s+[1-9]/);
    expect(report.stdout).toMatch(/Drains dropped:\s+0/);

    await rsyslog.start();
    await receiver.start();
    await waitForCount(syslogCounts, down + 60);
    await waitForCount(httpsCounts, down + 60);
    for (const numbers of [...eachSyslog(), httpsCounts()]) expect(gaps(numbers)).toEqual([]);
    await eventually(drainList, (drains) => drains.every((d) => d.buffered < 10 && d.dropped === 0), 30_000);
  });

  test('a tenant adds drains to its own apps only, to public addresses only, and is not shown the global ones', async () => {
    expect((await slipway.ssh(['apps:create', 'mine'])).code).toBe(0);
    expect((await slipway.ssh(['acl:add', 'mine', 'tenant'])).code).toBe(0);
    const others = await slipway.ssh(['drains:add', APP, 'syslog+tls://logs.example.com:6514'], { key: tenant });
    expect(others.code).not.toBe(0);
    expect(others.stderr).toContain(`Key tenant may not run drains:add on ${APP}`);
    const global = await slipway.ssh(['drains:add', '--global', 'syslog+tls://logs.example.com:6514'], {
      key: tenant,
    });
    expect(global.stderr).toContain('drains:add needs an admin key');
    for (const url of [`syslog://127.0.0.1:${rsyslog.plainPort}`, `https://localhost:${receiver.port}/logs`]) {
      const local = await slipway.ssh(['drains:add', 'mine', url], { key: tenant });
      expect(local.code).not.toBe(0);
      expect(local.stderr).toContain('unreachable, refused, or not a public address');
    }
    const listed = await slipway.ssh(['drains:list', 'mine', '--format', 'json'], { key: tenant });
    expect(listed.code, listed.output).toBe(0);
    expect(parseJson(listed.stdout)).toEqual([]);
    expect((await slipway.ssh(['drains:list', APP], { key: tenant })).code).not.toBe(0);
  });
});
