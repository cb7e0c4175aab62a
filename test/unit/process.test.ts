import { expect, test } from 'vitest';
import { isRunning } from '../../src/core/proc.js';
import { runProgram } from '../../src/core/process.js';

const node = (script: string) => ['-e', script];

test('stdout and stderr are cut into lines each on its own, however their writes interleave', async () => {
  const lines: string[] = [];
  const script =
    "process.stdout.write('out-a'); process.stderr.write('err-a'); setTimeout(() => { process.stdout.write('-end\\n'); process.stderr.write('-end\\n'); }, 50);";
  const result = await runProgram(process.execPath, node(script), { onLine: (line) => lines.push(line) });
  expect(result).toEqual({ code: 0, stdout: 'out-a-end\n', stderr: 'err-a-end\n' });
  expect(lines.sort()).toEqual(['err-a-end', 'out-a-end']);
});

test('a program past its time is killed, and the run fails with the error given', async () => {
  let pid = 0;
  // sh starts in milliseconds even on a loaded machine, where node could take past the limit
  const started = runProgram('sh', ['-c', 'echo $$; exec sleep 60'], {
    onLine: (line) => (pid = Number(line)),
    timeout: { ms: 1000, onTimeout: () => new Error('too slow') },
  });
  await expect(started).rejects.toThrow('too slow');
  await new Promise((resolve) => setTimeout(resolve, 200));
  expect(pid).toBeGreaterThan(0);
  expect(isRunning(pid)).toBe(false);
});

test('with keepChars, only the end of a long output is kept', async () => {
  const result = await runProgram(
    process.execPath,
    node("for (let i = 0; i < 2000; i++) process.stderr.write('line ' + i + '\\n');"),
    { keepChars: 100 },
  );
  expect(result.stderr.length).toBe(100);
  expect(result.stderr.endsWith('line 1999\n')).toBe(true);
});
