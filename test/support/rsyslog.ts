import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { freePort } from './ports.js';
import { eventually, run } from './slipway.js';

/** Whether rsyslog can take TLS here (rsyslog-gnutls, which scripts/test installs). */
export const RSYSLOG_TLS = fs.existsSync('/usr/lib/x86_64-linux-gnu/rsyslog/lmnsd_gtls.so');

/**
 * Debian's rsyslogd with a config of its own in `dir`: imtcp on a plain and (with rsyslog-gnutls
 * and a certificate) a TLS port, every message to a file as `app-name procid structured-data msg`.
 */
export class Rsyslog {
  readonly out: string;
  plainPort = 0;
  tlsPort = 0;
  private process?: ChildProcess;

  constructor(
    private readonly dir: string,
    /** Without one, only the plain port listens. */
    private readonly tls?: { cert: string; key: string },
  ) {
    this.out = path.join(dir, 'rsyslog.log');
  }

  async start(): Promise<void> {
    if (!this.plainPort) [this.plainPort, this.tlsPort] = [await freePort(), await freePort()];
    const { dir, tls } = this;
    const conf = path.join(dir, 'rsyslog.conf');
    const drivers = tls
      ? ` DefaultNetstreamDriverCAFile="${tls.cert}" DefaultNetstreamDriverCertFile="${tls.cert}" DefaultNetstreamDriverKeyFile="${tls.key}"`
      : '';
    fs.writeFileSync(
      conf,
      `global(workDirectory="${dir}"${drivers})
module(load="imtcp")
input(type="imtcp" port="${this.plainPort}" ruleset="plain")
${RSYSLOG_TLS && tls ? `input(type="imtcp" port="${this.tlsPort}" ruleset="tls" streamDriver.name="gtls" streamDriver.mode="1" streamDriver.authMode="anon")` : ''}
template(name="fields" type="string" string="%app-name% %procid% %structured-data% %msg%\\n")
ruleset(name="plain") { action(type="omfile" file="${this.out}" template="fields") }
ruleset(name="tls") { action(type="omfile" file="${this.out}.tls" template="fields") }
`,
    );
    this.process = spawn('/usr/sbin/rsyslogd', ['-n', '-f', conf, '-i', path.join(dir, 'rsyslog.pid')], {
      stdio: 'inherit',
    });
    await eventually(
      () => run('bash', ['-c', `exec 3<>/dev/tcp/127.0.0.1/${this.plainPort}`]),
      (r) => r.code === 0,
      20_000,
    );
  }

  async stop(): Promise<void> {
    const child = this.process;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }

  lines(file = this.out): string[] {
    return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
  }
}
