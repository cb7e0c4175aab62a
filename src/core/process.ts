import { spawn } from 'node:child_process';
import { LineBuffer } from './lines.js';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Each line of stdout and stderr as it comes (each stream cut into lines on its own). */
  onLine?: (line: string) => void;
  /** The program is killed (SIGKILL) after this long, and the promise rejects with `onTimeout()`. */
  timeout?: { ms: number; onTimeout: () => Error };
  /** Only the last this many characters of each stream are kept (a chatty program's output costs no more). */
  keepChars?: number;
}

/** Runs a program with an argument array (never a shell) and collects its output. */
export function runProgram(program: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const collect = (stream: NodeJS.ReadableStream) => {
      const kept = new TextTail(options.keepChars);
      const lines = new LineBuffer();
      stream.setEncoding('utf8');
      stream.on('data', (text: string) => {
        kept.add(text);
        if (options.onLine) lines.push(text).forEach(options.onLine);
      });
      return () => {
        const rest = lines.end();
        if (rest !== undefined && options.onLine) options.onLine(rest);
        return kept.text();
      };
    };
    const stdout = collect(child.stdout);
    const stderr = collect(child.stderr);
    let timer: NodeJS.Timeout | undefined;
    if (options.timeout) {
      const { ms, onTimeout } = options.timeout;
      timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(onTimeout());
      }, ms);
    }
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : 1), stdout: stdout(), stderr: stderr() });
    });
  });
}

/** Text kept whole, or only its last `limit` characters. */
class TextTail {
  private parts: string[] = [];
  private length = 0;

  constructor(private readonly limit = Infinity) {}

  add(text: string): void {
    this.parts.push(text);
    this.length += text.length;
    // Joined only when twice the limit is held: each character is copied a bounded number of times.
    if (this.length > 2 * this.limit) {
      const joined = this.parts.join('').slice(-this.limit);
      this.parts = [joined];
      this.length = joined.length;
    }
  }

  text(): string {
    const joined = this.parts.join('');
    return joined.length > this.limit ? joined.slice(-this.limit) : joined;
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Calls `tick` every `ms` until `signal` aborts (the daemon's periodic work). */
export function everyUntilAborted(ms: number, signal: AbortSignal, tick: () => void): void {
  const timer = setInterval(tick, ms);
  signal.addEventListener('abort', () => clearInterval(timer), { once: true });
}

/**
 * `work`, one run at a time: a call while a run is under way joins it instead of starting
 * another (periodic work that takes longer than its period must not pile up runs).
 */
export function oneRunAtATime(work: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  return () => (running ??= work().finally(() => (running = undefined)));
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
