import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, inject, test } from 'vitest';
import { clusterTurn } from '../support/cluster.js';
import { run } from '../support/slipway.js';

// The README's "Try several hosts on one machine", run as it is written: its shell blocks in
// order, in one shell (they share its exports), as root in this checkout, with a HOME of the
// test's own (an SSH key, a git identity) and this checkout's `slipway` first on PATH.
// It needs the cluster's names (bridge, namespaces) to itself: it waits for its turn at them.
const ROOT = new URL('../..', import.meta.url).pathname;
const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const blocks = [...README.matchAll(/<!-- walkthrough -->\n```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
const MARK = '### walkthrough block';

const home = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-walkthrough-'));
const redisUrl = inject('redisUrl');
const env: NodeJS.ProcessEnv = {
  ...process.env,
  HOME: home,
  PATH: `${path.join(home, 'bin')}:${process.env.PATH}`,
  SLIPWAY_REDIS_URL: redisUrl,
  SLIPWAY_SETTINGS_FILE: path.join(home, 'no-settings'),
  GIT_AUTHOR_NAME: 'walkthrough',
  GIT_AUTHOR_EMAIL: 'walkthrough@example.test',
  GIT_COMMITTER_NAME: 'walkthrough',
  GIT_COMMITTER_EMAIL: 'walkthrough@example.test',
};

/** The walkthrough's own settings, for cleaning up after a run that stopped half-way. */
const exported = Object.fromEntries(
  [...(blocks[0] ?? '').matchAll(/(SLIPWAY_[A-Z_]+)=(\S+)/g)].map((m) => [m[1]!, m[2]!]),
);
let endTurn = () => {};
const redisKeys = async () =>
  (await run('redis-cli', ['-u', redisUrl, '--scan', '--pattern', `${exported.SLIPWAY_INSTANCE}:*`])).stdout.trim();

afterAll(async () => {
  const pid = fs.existsSync('/tmp/slipway-try.pid') ? Number(fs.readFileSync('/tmp/slipway-try.pid', 'utf8')) : 0;
  if (pid) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  await run(path.join(ROOT, 'scripts/uninstall'), ['--force'], { env: { ...env, ...exported } });
  await run(path.join(ROOT, 'scripts/test-cluster'), ['down']);
  endTurn();
  for (const leftover of ['/tmp/hello', '/tmp/slipway-try.log', '/tmp/slipway-try.pid', home])
    fs.rmSync(leftover, { recursive: true, force: true });
}, 120_000);

test('the README walkthrough: three nodes, a push, tasks on every node; then nothing of it is left', async () => {
  expect(blocks).toHaveLength(4);
  fs.mkdirSync(path.join(home, 'bin'));
  fs.mkdirSync(path.join(home, '.ssh'), { mode: 0o700 });
  fs.symlinkSync(path.join(ROOT, 'bin', 'slipway'), path.join(home, 'bin', 'slipway'));
  // OpenSSH reads keys from the user's home in /etc/passwd, not $HOME: this one is given.
  fs.writeFileSync(
    path.join(home, 'bin', 'ssh'),
    `#!/bin/sh\nexec /usr/bin/ssh -i "$HOME/.ssh/id_ed25519" -o IdentitiesOnly=yes "$@"\n`,
    { mode: 0o755 },
  );
  const keygen = await run(
    'ssh-keygen',
    ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(home, '.ssh', 'id_ed25519')],
    { input: '' },
  );
  expect(keygen.code, keygen.output).toBe(0);
  endTurn = await clusterTurn();
  await run(path.join(ROOT, 'scripts/test-cluster'), ['down']); // one a crashed run left behind

  const script = ['set -euo pipefail', ...blocks.map((block, i) => `echo '${MARK} ${i + 1}'\n${block}`)].join('\n');
  const ran = await run('bash', ['-c', script], { cwd: ROOT, env });
  const log = fs.existsSync('/tmp/slipway-try.log') ? fs.readFileSync('/tmp/slipway-try.log', 'utf8') : '';
  expect(ran.code, `${ran.output}\n${log.slice(-3000)}`).toBe(0);

  const [, , swarm, app] = ran.stdout.split(new RegExp(`${MARK} \\d\\n`));
  expect(swarm).toMatch(/node1 .*leader/);
  expect(swarm).toMatch(/node3 .*worker/);
  expect(app).toMatch(/^hello from version 1 \(v1 web\.[123]\)$/m);
  const statuses = app!.split('\n').filter((line) => /Status web \d/.test(line));
  expect(statuses, app).toHaveLength(3);
  for (const line of statuses) expect(line).toMatch(/running \(CID: \w+, v1, node node[123]\)/);
  expect(app).toMatch(/Node tasks:\s+hello web\.[123] \(v1, running\)/);

  // Nothing of the instance or the cluster is left: no CA trusted for its registry, no Redis keys.
  expect(fs.existsSync(path.join('/etc/docker/certs.d', exported.SLIPWAY_REGISTRY_ADDRESS!))).toBe(false);
  expect(await redisKeys()).toBe('');
  expect(fs.existsSync(exported.SLIPWAY_DATA_DIR!)).toBe(false);
  expect(fs.existsSync('/run/slipway-cluster')).toBe(false);
}, 900_000);
