import pino, { type Logger } from 'pino';

/**
 * The daemon's log: one JSON object a line (time, level, message and the app, deploy or
 * request it concerns), on stderr, so a file or journald keeps lines a program can read and
 * an engine error is one line, not a multi-line dump. A person running `slipway serve` in a
 * terminal reads a short form instead. SLIPWAY_LOG_LEVEL: debug, info (default), warn, error.
 */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

/** What a line concerns, beside its message. */
export interface LogFields {
  level?: LogLevel;
  app?: string;
  deploy?: string;
  service?: string;
  /** An API request: its method and route pattern, and Fastify's id for it. */
  request?: string;
  requestId?: string;
  /** An error to record with its type, message and stack, as one field. */
  err?: unknown;
}

/** How subsystems write to the log: a line, and what it concerns. */
export type Log = (line: string, fields?: LogFields) => void;

let root: Logger | undefined;

/** The process's logger, made on first use from SLIPWAY_LOG_LEVEL and whether stderr is a terminal. */
export function logger(env: NodeJS.ProcessEnv = process.env): Logger {
  root ??= pino(
    { level: logLevel(env.SLIPWAY_LOG_LEVEL), base: undefined, timestamp: pino.stdTimeFunctions.isoTime },
    process.stderr.isTTY
      ? { write: (line: string) => process.stderr.write(readable(line)) }
      : pino.destination({ fd: 2, sync: true }),
  );
  return root;
}

/** The level setting; a value that is none of them is refused with the ones there are. */
export function logLevel(value: string | undefined): LogLevel {
  if (value === undefined || value === '') return 'info';
  if ((LOG_LEVELS as readonly string[]).includes(value)) return value as LogLevel;
  throw new Error(`Invalid SLIPWAY_LOG_LEVEL ${value}: use ${LOG_LEVELS.join(', ')}`);
}

/** A Log that writes to `to` (the process's logger by default), with these fields on every line. */
export function lineLog(fields: Omit<LogFields, 'level' | 'err'> = {}, to: Logger = logger()): Log {
  return (line, { level = 'info', ...rest } = {}) => to[level]({ ...fields, ...rest }, line);
}

const LEVEL_NAMES: Record<number, string> = { 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR' };

/** A JSON line as a person reads it in a terminal: `12:00:01 WARN  [app] message`, the error's stack under it. Pure. */
export function readable(json: string): string {
  const { time, level, msg, err, ...fields } = JSON.parse(json) as {
    time?: string;
    level: number;
    msg?: string;
    err?: { stack?: string };
  } & Record<string, unknown>;
  const clock = typeof time === 'string' ? time.slice(11, 19) : '';
  const about = Object.entries(fields)
    .map(([key, value]) => `${key}=${String(value)}`)
    .join(' ');
  const stack = err?.stack ? `\n${err.stack.replace(/^/gm, '    ')}` : '';
  return `${clock} ${(LEVEL_NAMES[level] ?? String(level)).padEnd(5)} ${about ? `[${about}] ` : ''}${msg ?? ''}${stack}\n`;
}
