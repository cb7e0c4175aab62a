import { spawn } from 'node:child_process';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a program with an argument array (never a shell) and collects its output. */
export function runProgram(
  program: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; onLine?: (line: string) => void } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let partial = '';
    const emit = (chunk: string) => {
      if (!options.onLine) return;
      partial += chunk;
      const lines = partial.split('\n');
      partial = lines.pop() ?? '';
      lines.forEach(options.onLine);
    };
    child.stdout.on('data', (d: Buffer) => {
      stdout += d;
      emit(d.toString());
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d;
      emit(d.toString());
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (partial && options.onLine) options.onLine(partial);
      resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr });
    });
  });
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Calls `tick` every `ms` until `signal` aborts (the daemon's periodic work). */
export function everyUntilAborted(ms: number, signal: AbortSignal, tick: () => void): void {
  const timer = setInterval(tick, ms);
  signal.addEventListener('abort', () => clearInterval(timer), { once: true });
}

/** The operation's result, or `onTimeout`'s error when it takes longer than `ms` (no bound when undefined). */
export function withTimeout<T>(operation: Promise<T>, ms: number | undefined, onTimeout: () => Error): Promise<T> {
  if (ms === undefined) return operation;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
  });
  return Promise.race([operation, timeout]).finally(() => clearTimeout(timer));
}
