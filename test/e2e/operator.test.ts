import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { freePort } from '../support/ports.js';
import type { Report } from '../support/json.js';
import { stringContaining } from '../support/matchers.js';
import { pushOrThrow } from '../support/pushes.js';
import { CLI, eventually, run, SlipwayUnderTest } from '../support/slipway.js';
import { writeSelfSigned } from '../support/tls.js';

const slipway = new SlipwayUnderTest(inject('redisUrl'));
const app = 'ops';

beforeAll(async () => {
  await slipway.start();
  await pushOrThrow(slipway, await slipway.appRepo('dockerfile-app', app));
});
afterAll(() => slipway.destroy());

describe('domains', () => {
  test('an app answers on the domains it is given, and only those', async () => {
    const added = await slipway.ssh(['domains:add', app, 'www.example.com', '*.wild.example.com']);
    expect(added.code, added.output).toBe(0);
    expect(added.stdout).toContain(`-----> Added www.example.com to ${app}`);
    expect((await slipway.get('www.example.com')).body).toMatch(/^hello from version 1/);
    expect((await slipway.get('anything.wild.example.com')).body).toMatch(/^hello from version 1/);
    expect((await slipway.get(slipway.appHost(app))).status).toBe(200); // the default stays

    expect((await slipway.ssh(['domains:add', app, 'www.example.com'])).stdout).toContain(
      'Skipping: www.example.com already added',
    );
    const removed = await slipway.ssh(['domains:remove', app, 'www.example.com']);
    expect(removed.code, removed.output).toBe(0);
    expect((await slipway.get('www.example.com')).status).toBe(404);

    const set = await slipway.ssh(['domains:set', app, 'only.example.com']);
    expect(set.code, set.output).toBe(0);
    expect((await slipway.get('only.example.com')).status).toBe(200);
    expect((await slipway.get(slipway.appHost(app))).status).toBe(404);
    expect((await slipway.sshJson<Report>(['domains:report', app, '--format', 'json']))['app-vhosts']).toBe(
      'only.example.com',
    );

    expect((await slipway.ssh(['domains:clear', app])).code).toBe(0);
    expect((await slipway.get(slipway.appHost(app))).status).toBe(200);
    expect((await slipway.get('only.example.com')).status).toBe(404);
  });

  test('nginx answers on IPv6 as well, when the host has it', async () => {
    if (!fs.existsSync('/proc/net/if_inet6')) return;
    const body = await new Promise<string>((resolve, reject) => {
      http
        .get(
          { host: '::1', port: slipway.httpPort, headers: { host: slipway.appHost(app) }, agent: false },
          (response) => {
            let text = '';
            response.on('data', (d) => (text += d));
            response.on('end', () => resolve(text));
          },
        )
        .on('error', reject);
    });
    expect(body).toMatch(/^hello from version 1/);
  });

  test('a domain another app answers on is refused', async () => {
    expect((await slipway.ssh(['apps:create', 'other'])).code).toBe(0);
    const taken = await slipway.ssh(['domains:add', 'other', slipway.appHost(app)]);
    expect(taken.code).toBe(1);
    expect(taken.stderr).toContain(`${slipway.appHost(app)} is already used by app ${app}`);
  });

  test.each(['http://x.com', 'x.com;', 'x..com', 'a b', '*', '../etc', 'x.com\nserver'])(
    'the invalid domain %j is refused',
    async (domain) => {
      const result = await slipway.ssh(['domains:add', app, `'${domain}'`]);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('is invalid');
    },
  );
});

describe('nginx settings', () => {
  const upload = (megabytes: number) => {
    const body = path.join(slipway.dir, `upload-${megabytes}`);
    fs.writeFileSync(body, Buffer.alloc(megabytes * 1024 * 1024, 'x'));
    return run('curl', [
      '-s',
      '-o',
      '/dev/null',
      '-w',
      '%{http_code}',
      '-H',
      `Host: ${slipway.appHost(app)}`,
      '--data-binary',
      `@${body}`,
      `http://127.0.0.1:${slipway.httpPort}/`,
    ]);
  };
  const nginxReport = async () =>
    JSON.parse((await slipway.ssh(['nginx:report', app, '--format', 'json'])).stdout) as Record<string, string>;

  test('client-max-body-size lets larger uploads in, per app or for every app', async () => {
    expect((await upload(2)).stdout).toBe('413');
    const set = await slipway.ssh(['nginx:set', app, 'client-max-body-size', '5m']);
    expect(set.code, set.output).toBe(0);
    expect(set.stdout).toContain('-----> Setting client-max-body-size to 5m');
    expect((await upload(2)).stdout).toBe('200');
    expect((await slipway.ssh(['nginx:show-config', app])).stdout).toContain('client_max_body_size 5m;');

    expect((await slipway.ssh(['nginx:set', '--global', 'client-max-body-size', '3m'])).code).toBe(0);
    expect((await slipway.ssh(['nginx:set', app, 'client-max-body-size'])).code).toBe(0);
    expect(await nginxReport()).toMatchObject({
      'client-max-body-size': '',
      'computed-client-max-body-size': '3m',
      'global-client-max-body-size': '3m',
    });
    expect((await upload(4)).stdout).toBe('413');
    expect((await upload(2)).stdout).toBe('200');
    expect((await slipway.ssh(['nginx:set', '--global', 'client-max-body-size'])).code).toBe(0);
    expect((await upload(2)).stdout).toBe('413');
  });

  test('a value of two words, and values nginx refuses leave the one before', async () => {
    const twoWords = await slipway.ssh(['nginx:set', app, 'proxy-buffers', '16', '8k']);
    expect(twoWords.code, twoWords.output).toBe(0);
    expect((await nginxReport())['computed-proxy-buffers']).toBe('16 8k');
    const injected = await slipway.ssh(['nginx:set', app, 'proxy-read-timeout', "'60s; include /etc/passwd'"]);
    expect(injected.code).not.toBe(0);
    expect(injected.stderr).toContain('Invalid proxy-read-timeout 60s; include /etc/passwd: give a time such as 60s');
    expect((await slipway.ssh(['nginx:set', app, 'access-log-format', 'combined'])).code).toBe(0);
    const unknown = await slipway.ssh(['nginx:set', app, 'access-log-format', 'nosuchformat']);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain('nginx rejected the configuration');
    expect((await nginxReport())['access-log-format']).toBe('combined');
    expect((await slipway.get(slipway.appHost(app))).status).toBe(200);
    expect((await slipway.ssh(['nginx:validate-config'])).code).toBe(0);
    expect((await slipway.ssh(['proxy:build-config', '--all'])).code).toBe(0);
  });

  test('nginx:access-logs shows the app’s requests, and -t follows new ones', async () => {
    await slipway.get(slipway.appHost(app), '/first-request');
    const logged = await eventually(
      () => slipway.ssh(['nginx:access-logs', app]),
      (r) => r.stdout.includes('GET /first-request'),
      10_000,
    );
    expect(logged.stdout).toContain('GET /first-request HTTP/1.1" 200');
    const follower = spawn('ssh', [
      ...slipway.sshArgs(slipway.admin),
      'git@127.0.0.1',
      'nginx:access-logs',
      app,
      '-t',
      '-n',
      '0',
    ]);
    let followed = '';
    follower.stdout.on('data', (chunk) => (followed += chunk));
    try {
      // Asked again until the follower, which says nothing when it starts, shows a request.
      const askWhileFollowing = async () => (await slipway.get(slipway.appHost(app), '/while-following'), followed);
      await eventually(askWhileFollowing, (text) => text.includes('GET /while-following'), 10_000);
      expect(followed).not.toContain('/first-request');
    } finally {
      follower.kill();
    }
    expect((await slipway.ssh(['nginx:error-logs', app])).code).toBe(0);
  });
});

describe('logs and run', () => {
  test('logs shows the app’s output with its dyno; --tail follows new lines', async () => {
    const logs = await slipway.ssh(['logs', app, '-n', '10']);
    expect(logs.code, logs.output).toBe(0);
    expect(logs.stdout).toMatch(/^\d{4}-\d\d-\d\dT\S+ app\[web\.1\]: listening on 5000$/m);
    expect((await slipway.ssh(['logs', app, '--quiet'])).stdout).toContain('listening on 5000');
    expect((await slipway.ssh(['logs', app, '-p', 'worker'])).stderr).toContain(
      'has no running containers of type worker',
    );
  });

  test('a deploy does not take down a one-off run in progress', async () => {
    const running = slipway.ssh(['run', app, "'sleep 6; echo survived'"]);
    await eventually(
      () => slipway.containers(app),
      (found) => found.some((c) => c.name.includes('.run.')),
    );
    const restarted = await slipway.ssh(['ps:restart', app]);
    expect(restarted.code, restarted.output).toBe(0);
    const result = await running;
    expect(result.code, result.output).toBe(0);
    expect(result.stdout).toContain('survived');
  });

  test('run executes a one-off command with the app’s config and passes its exit code back', async () => {
    expect((await slipway.ssh(['config:set', app, 'RUN_MARK=from-config'])).code).toBe(0);
    const ran = await slipway.ssh(['run', app, 'echo', '$RUN_MARK', '$DYNO']);
    expect(ran.code, ran.output).toBe(0);
    expect(ran.stdout).toMatch(/^from-config run\.\d+$/m);
    const withEnv = await slipway.ssh([
      'run',
      '-e',
      'ONE=1',
      '--env',
      "'TWO=two words'",
      app,
      "'echo $ONE $TWO $RUN_MARK'",
    ]);
    expect(withEnv.stdout).toMatch(/^1 two words from-config$/m);
    expect((await slipway.ssh(['run', '-e', '1BAD=x', app, 'true'])).stderr).toContain("Invalid key name: '1BAD'");
    const failed = await slipway.ssh(['run', app, 'exit', '7']);
    expect(failed.code).toBe(7);
    const flags = await slipway.ssh(['run', app, 'node', '--version']);
    expect(flags.stdout).toMatch(/^v18\./m);
    const containers = await eventually(
      () => slipway.containers(app),
      (c) => c.length === 1,
    );
    expect(containers).toHaveLength(1); // one-off containers are gone
  });
});

describe('ports', () => {
  const ported = 'ported';
  const mapping = (port: number) => `http:${slipway.httpPort}:${port}`;

  test('a Dockerfile’s EXPOSE is where web listens (its PORT); ports:set and ports:clear change it', async () => {
    const repo = await slipway.appRepo('dockerfile-app', ported);
    fs.appendFileSync(path.join(repo, 'Dockerfile'), 'EXPOSE 8080\n');
    await run('git', ['commit', '-qam', 'expose 8080'], { cwd: repo, env: slipway.gitEnv() });
    const pushed = await slipway.push(repo);
    expect(pushed.code, pushed.output).toBe(0);
    expect((await slipway.get(slipway.appHost(ported), '/env/PORT')).body).toBe('8080');
    expect((await slipway.ssh(['ports:report', ported, '--ports-map-detected'])).stdout.trim()).toBe(mapping(8080));
    expect((await slipway.ssh(['ports:list', ported])).stdout).toMatch(/http +\d+ +8080/);

    const set = await slipway.ssh(['ports:set', ported, mapping(7000)]);
    expect(set.code, set.output).toBe(0);
    expect((await slipway.get(slipway.appHost(ported), '/env/PORT')).body).toBe('7000');
    expect((await slipway.ssh(['ports:report', ported, '--ports-map'])).stdout.trim()).toBe(mapping(7000));

    for (const [bad, message] of [
      ['http:80:nope', 'Invalid port mapping http:80:nope'],
      [`https:${slipway.httpPort}:7000`, `Host port ${slipway.httpPort} serves http here, not https`],
      [`http:${slipway.sshPort}:7000`, "is Slipway's SSH port"],
      ['sctp:5432:5432', 'Invalid port mapping'],
    ]) {
      const refused = await slipway.ssh(['ports:add', ported, bad!]);
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toContain(message);
    }

    // Another host port, to another port the app listens on; it is this app's alone.
    const extra = await freePort();
    expect((await slipway.ssh(['config:set', '--no-restart', ported, 'ADMIN_PORT=7001'])).code).toBe(0);
    const added = await slipway.ssh(['ports:add', ported, `http:${extra}:7001`]);
    expect(added.code, added.output).toBe(0);
    expect(
      (await run('curl', ['-s', '-H', `Host: ${slipway.appHost(ported)}`, `http://127.0.0.1:${extra}/`])).stdout,
    ).toBe('admin port\n');
    expect((await slipway.get(slipway.appHost(ported), '/env/PORT')).body).toBe('7000');
    expect((await slipway.ssh(['ports:add', app, `http:${extra}:5000`])).stderr).toContain(
      `Host port ${extra} is mapped by another app`,
    );
    // TCP is forwarded as it is, by nginx's stream module: no Host header needed.
    const tcp = await freePort();
    const forwarded = await slipway.ssh(['ports:add', ported, `tcp:${tcp}:7001`]);
    expect(forwarded.code, forwarded.output).toBe(0);
    expect((await run('curl', ['-s', `http://127.0.0.1:${tcp}/`])).stdout).toBe('admin port\n');
    expect((await slipway.ssh(['ports:list', ported])).stdout).toMatch(new RegExp(`tcp +${tcp} +7001`));

    const busy = http.createServer().listen(0, '0.0.0.0');
    await new Promise((resolve) => busy.once('listening', resolve));
    const busyPort = (busy.address() as { port: number }).port;
    expect((await slipway.ssh(['ports:add', ported, `http:${busyPort}:7001`])).stderr).toContain(
      `Host port ${busyPort} is in use on this host`,
    );
    busy.close();

    expect((await slipway.ssh(['ports:clear', ported])).code).toBe(0);
    expect((await slipway.get(slipway.appHost(ported), '/env/PORT')).body).toBe('8080');
  });
});

describe('proxy:disable', () => {
  test('takes the app out of nginx and onto host ports of its own; proxy:enable puts it back', async () => {
    const disabled = await slipway.ssh(['proxy:disable', app]);
    expect(disabled.code, disabled.output).toBe(0);
    expect(disabled.stdout).toContain(`-----> Disabling the proxy for ${app}`);
    expect((await slipway.get(slipway.appHost(app))).status).toBe(404);
    const report = (await slipway.ssh(['proxy:report', app])).stdout;
    expect(report).toMatch(/Proxy enabled: +false/);
    const hostPort = /Proxy host ports: +web\.1=(\d+)/.exec(report)?.[1];
    expect(hostPort, report).toBeDefined();
    const direct = await run('curl', ['-s', `http://127.0.0.1:${hostPort}/`]);
    expect(direct.stdout).toMatch(/^hello from version 1/);
    expect((await slipway.ssh(['proxy:disable', app])).stdout).toContain(`The proxy is already disabled for ${app}`);

    const enabled = await slipway.ssh(['proxy:enable', app]);
    expect(enabled.code, enabled.output).toBe(0);
    expect((await slipway.get(slipway.appHost(app))).body).toMatch(/^hello from version 1/);
    expect((await slipway.ssh(['proxy:report', app])).stdout).toMatch(/Proxy host ports: *\n/);
    // The old container goes after its drain, and its host port with it.
    const gone = await eventually(
      () => run('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', `http://127.0.0.1:${hostPort}/`]),
      (r) => r.stdout === '000',
      20_000,
    );
    expect(gone.stdout).toBe('000');
  });
});

describe('checks:run', () => {
  test('runs the release’s checks against the running containers', async () => {
    const ran = await slipway.ssh(['checks:run', app]);
    expect(ran.code, ran.output).toBe(0);
    expect(ran.stdout).toContain("Running healthcheck name='health'");
    expect(ran.stdout).toContain('All checks successful (web.1)');
    expect((await slipway.ssh(['checks:run', app, 'worker'])).stderr).toContain(
      `Invalid process type specified (${app}.worker)`,
    );
    // Dokku's global --quiet drops the headers, and keeps the rest
    const quiet = await slipway.ssh(['--', '--quiet', 'checks:run', app]); // ssh's own options end at --
    expect(quiet.stdout, quiet.output).toContain('All checks successful (web.1)');
    expect(quiet.stdout).not.toContain('----->');
  });
});

describe('detached runs', () => {
  const list = async () =>
    JSON.parse((await slipway.ssh(['run:list', app, '--format', 'json'])).stdout) as { name: string; state: string }[];

  test('run:detached returns at once; run:list, run:logs, run:stop and run:cleanup manage what it started', async () => {
    const started = await slipway.ssh(['run:detached', app, "'echo detached-out; sleep 60'"]);
    expect(started.code, started.output).toBe(0);
    const dyno = /as (run\.\d+) /.exec(started.stdout)![1]!;
    expect(await list()).toEqual([{ name: dyno, container: stringContaining(`.${app}.${dyno}.`), state: 'running' }]);
    const logs = await eventually(
      () => slipway.ssh(['run:logs', app, dyno]),
      (r) => r.stdout.includes('detached-out'),
    );
    expect(logs.stdout).toBe('detached-out\n');
    expect((await slipway.ssh(['run:stop', app, dyno])).code).toBe(0);
    expect(await list()).toEqual([]);

    const quick = await slipway.ssh(['run:detached', app, 'echo', 'done']);
    const quickDyno = /as (run\.\d+) /.exec(quick.stdout)![1]!;
    await eventually(list, (all) => all.some((r) => r.name === quickDyno && r.state === 'exited'));
    expect((await slipway.ssh(['run:logs', app, quickDyno])).stdout).toBe('done\n');
    const cleaned = await slipway.ssh(['run:cleanup', app]);
    expect(cleaned.stdout).toContain('Removed 1 exited one-off container');
    expect(await list()).toEqual([]);
    expect((await slipway.ssh(['run:logs', app, 'run.99999'])).stderr).toContain(
      `${app} has no one-off container run.99999`,
    );
  });
});

describe('enter', () => {
  const enter = (args: string[], options: { tty?: boolean; input?: string } = {}) =>
    run(
      'ssh',
      [...(options.tty ? ['-tt'] : []), ...slipway.sshArgs(slipway.admin), 'git@127.0.0.1', 'enter', app, ...args],
      { input: options.input },
    );

  test('runs a command in a running container, with a terminal when ssh asks for one', async () => {
    const withTty = await enter(['web.1', 'tty'], { tty: true });
    expect(withTty.code, withTty.output).toBe(0);
    expect(withTty.stdout).toMatch(/\/dev\/pts\/\d+/);
    const without = await enter(['tty']);
    expect(without.code).toBe(1);
    expect(without.stdout).toContain('not a tty');
  });

  test('an interactive shell takes input and passes its exit code back', async () => {
    const shell = await enter([], { tty: true, input: 'echo marker-$((40+2)) $DYNO\nexit 3\n' });
    expect(shell.code, shell.output).toBe(3);
    expect(shell.stdout).toContain('marker-42 web.1');
  });

  test('run under ssh -t is interactive too', async () => {
    const input = 'echo in-$((1+1)) $DYNO\nexit 4\n';
    const shell = await run('ssh', ['-tt', ...slipway.sshArgs(slipway.admin), 'git@127.0.0.1', 'run', app, 'sh'], {
      input,
    });
    expect(shell.code, shell.output).toBe(4);
    expect(shell.stdout).toMatch(/in-2 run\.\d+/);
  });

  test('a shell whose client goes away is hung up, not left running in the container', async () => {
    const shell = spawn('ssh', ['-tt', ...slipway.sshArgs(slipway.admin), 'git@127.0.0.1', 'enter', app], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let output = '';
    shell.stdout.on('data', (d) => (output += d));
    shell.stdin.write('echo ready-$((1+1))\n');
    await eventually(
      async () => output,
      (text) => text.includes('ready-2'),
    );
    const shells = async () =>
      (await run('docker', ['top', (await slipway.containers(app))[0]!.name])).stdout
        .split('\n')
        .filter((l) => / (ba)?sh$/.test(l));
    expect(await shells()).toHaveLength(1);
    shell.kill('SIGKILL');
    expect(await eventually(shells, (found) => found.length === 0)).toEqual([]);
  });

  test('slipway enter on the host, at a terminal, gets that terminal', async () => {
    // `script` gives the host command a pty, as an operator's terminal would.
    const command = `${process.execPath} ${CLI} enter ${app}`;
    const shell = await run('script', ['-qec', command, '/dev/null'], {
      env: slipway.env,
      input: 'echo local-$((2+3)) $(tty)\nexit 5\n',
    });
    expect(shell.code, shell.output).toBe(5);
    expect(shell.stdout).toMatch(/local-5 \/dev\/pts\/\d+/);
  });

  test('a container that is not running is refused', async () => {
    const result = await enter(['worker.1', 'true']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${app} has no running container worker.1`);
  });
});

describe('the laptop client', () => {
  const CLIENT = path.resolve(import.meta.dirname, '../../scripts/slipway-client');
  let repo: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    repo = await slipway.appRepo('dockerfile-app', app);
    // `ssh` on the PATH with the test's key and options, as a user's ~/.ssh/config would give.
    const bin = fs.mkdtempSync(path.join(slipway.dir, 'client-bin-'));
    const options = slipway.sshArgs(slipway.admin).filter((a, i, all) => a !== '-p' && all[i - 1] !== '-p');
    fs.writeFileSync(path.join(bin, 'ssh'), `#!/bin/sh\nexec /usr/bin/ssh ${options.join(' ')} "$@"\n`, {
      mode: 0o755,
    });
    env = { ...process.env, PATH: `${bin}:${process.env.PATH}` };
  });

  const client = (args: string[], cwd = repo) => run(CLIENT, args, { cwd, env });

  test('runs commands on the app of the deploy remote, every word arriving whole', async () => {
    const value = `it's "quoted" $HOME; two  spaces`;
    const set = await client(['config:set', '--no-restart', `CLIENT_MARK=${value}`]);
    expect(set.code, set.output).toBe(0);
    expect((await client(['config:get', 'CLIENT_MARK'])).stdout).toBe(`${value}\n`);
    expect((await client(['config:get', app, 'CLIENT_MARK'])).stdout).toBe(`${value}\n`); // the app named anyway
    expect((await client(['apps:list'])).stdout).toContain(app);
    expect((await client(['run', '-e', 'X=from-client', 'echo $X'])).stdout).toMatch(/^from-client$/m); // app goes after run's flags
    expect((await client(['--app', 'nosuch', 'config:get', 'CLIENT_MARK'])).stderr).toContain(
      'App nosuch does not exist',
    );
  });

  test('outside a repository it says what is missing', async () => {
    const result = await client(['config:show'], slipway.dir);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("No git remote named 'deploy' here");
  });
});

describe('certificates', () => {
  const domain = 'secure.example.com';
  let cert: string;
  let key: string;

  beforeAll(async () => {
    const dir = fs.mkdtempSync(path.join(slipway.dir, 'tls-'));
    await writeSelfSigned({ cert: path.join(dir, 'server.crt'), key: path.join(dir, 'server.key') }, [domain]);
    cert = fs.readFileSync(path.join(dir, 'server.crt'), 'utf8');
    key = fs.readFileSync(path.join(dir, 'server.key'), 'utf8');
    expect((await slipway.ssh(['domains:set', app, domain])).code).toBe(0);
  });
  afterAll(() => slipway.ssh(['domains:clear', app]));

  /** GET over TLS through Slipway's nginx, trusting only the test's own certificate. */
  const getHttps = (host: string) => slipway.overHttps(host, '/', { ca: cert });

  test('certs:add serves the app over HTTPS and redirects HTTP; certs:remove undoes it', async () => {
    const added = await slipway.ssh(['certs:add', app], { input: cert + key });
    expect(added.code, added.output).toBe(0);
    expect((await getHttps(domain)).body).toMatch(/^hello from version 1/);
    const plain = await slipway.getWithHeaders(domain);
    expect(plain.status).toBe(301);
    expect(plain.headers.location).toBe(`https://${domain}:${slipway.httpsPort}/`);
    expect((await slipway.ssh(['url', app])).stdout).toBe(`https://${domain}:${slipway.httpsPort}\n`);
    const report = await slipway.sshJson<Report>(['certs:report', app, '--format', 'json']);
    expect(report).toMatchObject({ 'ssl-enabled': 'true', 'ssl-hostnames': domain, 'ssl-verified': 'self signed' });

    expect((await slipway.ssh(['certs:remove', app])).code).toBe(0);
    expect((await slipway.get(domain)).status).toBe(200);
    expect((await slipway.ssh(['urls', app])).stdout).toBe(`http://${domain}:${slipway.httpPort}\n`);
    await expect(getHttps(domain)).rejects.toThrow(); // no handshake for a host without a certificate
  });

  test('certs:generate makes a self-signed certificate for the domain, and HSTS comes with HTTPS', async () => {
    const generated = await slipway.ssh(['certs:generate', app, domain]);
    expect(generated.code, generated.output).toBe(0);
    expect(generated.stdout).toContain(`Added a self-signed certificate for ${domain} to ${app}`);
    const report = await slipway.sshJson<Report>(['certs:report', app, '--format', 'json']);
    expect(report).toMatchObject({ 'ssl-enabled': 'true', 'ssl-hostnames': domain, 'ssl-verified': 'self signed' });
    const served = await run('curl', [
      '-sk',
      '-D',
      '-',
      '-o',
      '/dev/null',
      '--resolve',
      `${domain}:${slipway.httpsPort}:127.0.0.1`,
      `https://${domain}:${slipway.httpsPort}/`,
    ]);
    expect(served.stdout).toMatch(/^HTTP\/1\.1 200/);
    expect(served.stdout).toContain('Strict-Transport-Security: max-age=15724800; includeSubDomains');
    expect((await slipway.ssh(['certs:generate', app, 'bad_domain;x'])).stderr).toContain('Invalid domain');
    expect((await slipway.ssh(['certs:remove', app])).code).toBe(0);
  });

  test('a tar of server.crt and server.key is taken too, as Dokku takes it', async () => {
    const dir = fs.mkdtempSync(path.join(slipway.dir, 'tls-tar-'));
    fs.writeFileSync(path.join(dir, 'server.crt'), cert);
    fs.writeFileSync(path.join(dir, 'server.key'), key);
    const tarFile = path.join(dir, 'certs.tar');
    expect((await run('tar', ['-cf', tarFile, '-C', dir, 'server.crt', 'server.key'])).code).toBe(0);
    const added = await run('ssh', [...slipway.sshArgs(slipway.admin), 'git@127.0.0.1', 'certs:add', app], {
      inputFile: tarFile,
    });
    expect(added.code, added.output).toBe(0);
    expect((await getHttps(domain)).status).toBe(200);
    expect((await slipway.ssh(['certs:remove', app])).code).toBe(0);
  });

  test.each([
    ['nothing', () => ''],
    ['a certificate without its key', () => cert],
    ['a key that does not match', () => cert + OTHER_KEY],
    ['garbage', () => 'not a certificate at all'],
  ])('%s is refused and changes nothing', async (_, input) => {
    const result = await slipway.ssh(['certs:add', app], { input: input() });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^ ! {5}/m);
    expect((await slipway.sshJson<Report>(['certs:report', app, '--format', 'json']))['ssl-enabled']).toBe('false');
    expect((await slipway.get(domain)).status).toBe(200);
  });
});

const OTHER_KEY = generateKeyPairSync('rsa', { modulusLength: 2048 })
  .privateKey.export({ type: 'pkcs8', format: 'pem' })
  .toString();
