import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type Docker from 'dockerode';
import { afterAll, beforeAll, inject, test } from 'vitest';
import { parseJson } from '../../test/support/json.js';
import { freePort } from '../../test/support/ports.js';
import { run, SlipwayUnderTest } from '../../test/support/slipway.js';

/**
 * What Slipway's proxy costs per request: the same container behind Slipway's nginx (server
 * block per app, Lua balancer, shared upstream keepalive pool) and behind a plain nginx
 * upstream block with the same proxy settings. Rounds alternate so drift hits both alike.
 */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const slipway = new SlipwayUnderTest(inject('redisUrl'));
const app = 'proxied';
let plain: ChildProcess | undefined;

beforeAll(() => slipway.start());
afterAll(async () => {
  plain?.kill('SIGQUIT');
  await slipway.destroy();
});

/** The plain nginx: one upstream block to the container, as a hand-written config would have it. */
function plainNginxConfig(dir: string, port: number, backend: string): string {
  return `worker_processes auto;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log ${dir}/access.log combined buffer=64k flush=1s;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  keepalive_requests 100000;
  upstream app { server ${backend}; keepalive 256; }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Host $http_host;
      proxy_set_header Connection "";
      proxy_set_header X-Forwarded-For $remote_addr;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Request-Start $msec;
    }
  }
}
`;
}

interface Load {
  rps: number;
  p50: number;
  p99: number;
}

/** wrk's latency with its unit, in milliseconds. */
function ms(text: string): number {
  const match = /^([\d.]+)(us|ms|s)$/.exec(text.trim());
  if (!match) throw new Error(`unexpected wrk latency ${text}`);
  return Number(match[1]) * { us: 0.001, ms: 1, s: 1000 }[match[2] as 'us' | 'ms' | 's'];
}

async function load(url: string, host: string): Promise<Load> {
  const result = await run('wrk', [
    '-t2',
    `-c${CONNECTIONS}`,
    `-d${SECONDS}s`,
    '--latency',
    '-H',
    `Host: ${host}`,
    url,
  ]);
  if (result.code !== 0) throw new Error(result.output);
  const out = result.stdout;
  if (/Non-2xx|Socket errors/.test(out)) throw new Error(`requests failed:\n${out}`);
  return {
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)![1]),
    p50: ms(/^\s+50%\s+(\S+)$/m.exec(out)![1]!),
    p99: ms(/^\s+99%\s+(\S+)$/m.exec(out)![1]!),
  };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

test('proxy overhead', async () => {
  const repo = await slipway.appRepo('dockerfile-app', app);
  const pushed = await slipway.push(repo);
  if (pushed.code !== 0) throw new Error(pushed.output);
  const [container] = await slipway.containers(app);
  const [inspected] = parseJson<Docker.ContainerInspectInfo[]>(
    (await run('docker', ['inspect', container!.name])).stdout,
  );
  const ip = (Object.values(inspected!.NetworkSettings.Networks)[0] as { IPAddress: string }).IPAddress;
  const containerPort = inspected!.Config.Labels['slipway.port'] || '5000';

  const dir = path.join(slipway.dir, 'plain-nginx');
  fs.mkdirSync(dir, { recursive: true });
  const plainPort = await freePort();
  fs.writeFileSync(path.join(dir, 'nginx.conf'), plainNginxConfig(dir, plainPort, `${ip}:${containerPort}`));
  plain = spawn('nginx', ['-p', dir, '-c', path.join(dir, 'nginx.conf'), '-g', 'daemon off;'], { stdio: 'inherit' });
  await new Promise((resolve) => setTimeout(resolve, 500));

  const host = slipway.appHost(app);
  const throughSlipway: Load[] = [];
  const throughPlain: Load[] = [];
  await load(`http://127.0.0.1:${slipway.httpPort}/`, host); // warm-up: connections, JIT, caches
  for (let round = 0; round < ROUNDS; round++) {
    throughPlain.push(await load(`http://127.0.0.1:${plainPort}/`, host));
    throughSlipway.push(await load(`http://127.0.0.1:${slipway.httpPort}/`, host));
  }
  const summary = (loads: Load[]) => ({
    rps: median(loads.map((l) => l.rps)),
    p50: median(loads.map((l) => l.p50)),
    p99: median(loads.map((l) => l.p99)),
  });
  const s = summary(throughSlipway);
  const p = summary(throughPlain);
  const line = (label: string, l: Load) =>
    `  ${label}: ${l.rps.toFixed(0)} requests/s, p50 ${l.p50.toFixed(2)} ms, p99 ${l.p99.toFixed(2)} ms`;
  console.log(
    [
      '',
      `bench-proxy: the small Dockerfile app, wrk ${CONNECTIONS} keep-alive connections, ${SECONDS} s per round, median of ${ROUNDS} rounds each`,
      line('plain nginx upstream block', p),
      line("Slipway's nginx + Lua balancer", s),
      `  Slipway / plain: throughput ${((s.rps / p.rps) * 100).toFixed(1)}% (target >= 90%), p99 ${s.p99 - p.p99 >= 0 ? '+' : ''}${(s.p99 - p.p99).toFixed(2)} ms (target within 1 ms)`,
      `  each round, requests/s (plain | Slipway): ${throughPlain.map((l, i) => `${l.rps.toFixed(0)} | ${throughSlipway[i]!.rps.toFixed(0)}`).join(', ')}`,
      '',
    ].join('\n'),
  );
}, 600_000);
