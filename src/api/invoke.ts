import { PassThrough, Readable } from 'node:stream';
import { runCommand, type Caller } from '../commands/index.js';
import type { UserError } from '../core/errors.js';
import type { Output } from '../core/output.js';
import type { Platform } from '../platform.js';

/** What a command run for an HTTP request printed, and its exit code. */
export interface Invocation {
  code: number;
  /** The UserError the command failed with, when it threw one (its kind is the HTTP status). */
  error?: UserError;
  stdout: string[];
  stderr: string[];
}

const ERROR_PREFIX = /^ ! {5}/;

/**
 * Runs one Slipway command for an API caller: the same command, access rules and validation
 * as over SSH, with its output collected (or passed to `onLine` as it comes, for streaming).
 * Words are given as an array and never re-split, so no value is read as another argument.
 */
export async function invoke(
  platform: Platform,
  caller: Caller,
  words: string[],
  options: { stdin?: string; signal?: AbortSignal; onLine?: (stream: 'stdout' | 'stderr', line: string) => void } = {},
): Promise<Invocation> {
  const result: Invocation = { code: 0, stdout: [], stderr: [] };
  const out: Output = {
    out: (line) => (options.onLine ? options.onLine('stdout', line) : result.stdout.push(line)),
    err: (line) => (options.onLine ? options.onLine('stderr', line) : result.stderr.push(line)),
  };
  const bytes = (stream: 'stdout' | 'stderr') => {
    const sink = new PassThrough();
    sink.setEncoding('utf8');
    let partial = '';
    sink.on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop()!;
      lines.forEach((line) => (stream === 'stdout' ? out.out(line) : out.err(line)));
    });
    sink.on('end', () => partial && (stream === 'stdout' ? out.out(partial) : out.err(partial)));
    return sink;
  };
  const stdout = bytes('stdout');
  const stderr = bytes('stderr');
  result.code = await runCommand(
    {
      platform,
      caller,
      out,
      stdin: Readable.from(options.stdin === undefined ? [] : [options.stdin]),
      stdout,
      stderr,
      local: false, // file paths never name host files for a remote caller
      signal: options.signal ?? new AbortController().signal,
      failed: (error) => (result.error = error),
    },
    words,
  );
  stdout.end();
  stderr.end();
  return result;
}

/** The ` !     ` messages a failed command printed, as one sentence for a JSON error. */
export function errorOf(invocation: Invocation): string {
  const messages = invocation.stderr
    .filter((line) => ERROR_PREFIX.test(line))
    .map((line) => line.replace(ERROR_PREFIX, ''));
  return messages.join(' ') || invocation.stderr.join(' ').trim() || `the command exited with code ${invocation.code}`;
}
