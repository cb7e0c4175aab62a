import { afterAll, beforeAll, inject, test } from 'vitest';
import { CLI, run, SlipwayUnderTest, type RunResult } from '../../test/support/slipway.js';

/** How long a command takes from the operator's prompt to its last line, on the host and over SSH. */
const RUNS = Number(process.env.BENCH_RUNS ?? 20);
const APPS = 5;
const slipway = new SlipwayUnderTest(inject('redisUrl'));

beforeAll(() => slipway.start());
afterAll(() => slipway.destroy());

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function timed(command: () => Promise<RunResult>): Promise<string> {
  await command(); // warm-up: page cache, connections
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    const result = await command();
    if (result.code !== 0) throw new Error(result.output);
    times.push(performance.now() - started);
  }
  const each = process.env.BENCH_EACH ? `; each: ${times.map((t) => t.toFixed(0)).join(' ')}` : '';
  return `median ${median(times).toFixed(0)} ms (min ${Math.min(...times).toFixed(0)}, max ${Math.max(...times).toFixed(0)})${each}`;
}

test('command latency', async () => {
  for (let n = 1; n <= APPS; n++) await slipway.ssh(['apps:create', `app${n}`]);
  const host = () => run(process.execPath, [CLI, 'apps:list'], { env: slipway.env });
  const nodeFloor = await timed(() => run(process.execPath, ['-e', '0']));
  const byDaemon = await timed(host);
  const overSsh = await timed(() => slipway.ssh(['apps:list']));
  await slipway.stopDaemon();
  const inProcess = await timed(host);
  await slipway.startDaemon();
  console.log(
    [
      '',
      `bench-cli: apps:list with ${APPS} apps, ${RUNS} runs each`,
      `  node -e 0 (the floor of any host command): ${nodeFloor}`,
      `  slipway apps:list on the host, run by the daemon: ${byDaemon} (target <= 150 ms)`,
      `  slipway apps:list on the host, no daemon (the CLI loads the commands): ${inProcess}`,
      `  ssh apps:list: ${overSsh} (target <= 100 ms)`,
      '',
    ].join('\n'),
  );
}, 600_000);
