import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { freePort } from './ports.js';

/** Debian's real Prometheus server, scraping one target every 2 s with a bearer token; stopped by `stop`. */
export class PrometheusUnderTest {
  private child?: ChildProcess;
  port = 0;

  constructor(private readonly dir: string) {}

  async start(target: { host: string; path: string; token: string }): Promise<void> {
    fs.mkdirSync(this.dir, { recursive: true });
    const tokenFile = path.join(this.dir, 'token');
    fs.writeFileSync(tokenFile, target.token, { mode: 0o600 });
    const config = [
      'global:',
      '  scrape_interval: 2s',
      '  scrape_timeout: 2s',
      'scrape_configs:',
      '  - job_name: slipway',
      `    metrics_path: ${target.path}`,
      '    authorization:',
      `      credentials_file: ${tokenFile}`,
      '    static_configs:',
      `      - targets: ['${target.host}']`,
      '',
    ].join('\n');
    fs.writeFileSync(path.join(this.dir, 'prometheus.yml'), config);
    this.port = await freePort();
    this.child = spawn(
      'prometheus',
      [
        `--config.file=${path.join(this.dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${path.join(this.dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${this.port}`,
      ],
      { stdio: ['ignore', 'ignore', fs.openSync(path.join(this.dir, 'prometheus.log'), 'a')] },
    );
  }

  /** An instant query's result vector through Prometheus's HTTP API; empty while it has no data (or is starting). */
  async query(promql: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
    try {
      const response = await fetch(`http://127.0.0.1:${this.port}/api/v1/query?query=${encodeURIComponent(promql)}`);
      const body = (await response.json()) as {
        data?: { result?: { metric: Record<string, string>; value: [number, string] }[] };
      };
      return body.data?.result ?? [];
    } catch {
      return [];
    }
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  }
}
