/**
 * One line an app's container wrote, as the drains carry it: what the buffer keeps on disk
 * and every target's format is made from.
 */
export interface DrainRecord {
  /** When the engine received the line (RFC 3339 with up to nanoseconds, UTC). */
  time: string;
  app: string;
  /** Process type (`web`, `worker`) and its index: Heroku's `web.1`; `router` and 0 for the router's lines. */
  process: string;
  index: number;
  release: number;
  message: string;
}

/** A line longer than this is cut: every record stays far smaller than a buffer read. */
export const MAX_MESSAGE_CHARS = 16 * 1024;

/** `2026-12-06T23:04:13.123456789Z rest`, as Docker writes a line with timestamps. */
const DOCKER_LINE = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?Z(?: (.*))?$/s;

/** A point in a container's log: nanoseconds since the epoch, as a fixed-width string that sorts. */
export type LogInstant = string;

/** A Docker log line's time and text, or undefined for a line without Docker's timestamp. Pure. */
export function parseDockerLine(line: string): { time: string; instant: LogInstant; text: string } | undefined {
  const match = DOCKER_LINE.exec(line);
  if (!match) return undefined;
  const [, seconds = '', fraction = '', text = ''] = match;
  const epochSeconds = Date.parse(`${seconds}Z`) / 1000;
  if (!Number.isFinite(epochSeconds)) return undefined;
  const nanos = fraction.padEnd(9, '0');
  return {
    time: `${seconds}.${nanos}Z`,
    instant: `${String(epochSeconds).padStart(12, '0')}.${nanos}`,
    text,
  };
}

/** Docker's `since` for an instant: `<seconds>.<nanoseconds>`. Pure. */
export function dockerSince(instant: LogInstant): string {
  return instant.replace(/^0+(?=\d)/, '');
}

/** The instant of a time in milliseconds since the epoch. Pure. */
export function instantOfMs(ms: number): LogInstant {
  const seconds = Math.floor(ms / 1000);
  return `${String(seconds).padStart(12, '0')}.${String((ms % 1000) * 1_000_000).padStart(9, '0')}`;
}

/**
 * How far a container's log was taken into the drains: the instant of the last line taken,
 * and how many lines of that very instant were taken (Docker's `since` includes the instant,
 * and two lines may share one).
 */
export interface LogPosition {
  instant: LogInstant;
  taken: number;
}

/**
 * Whether a line at `instant` is new past `position`, and the position after it. A line at
 * the position's own instant is new once as many as were taken have been seen again. Pure.
 */
export class PositionFilter {
  private seenAtInstant = 0;
  constructor(private position: LogPosition | undefined) {}

  take(instant: LogInstant): boolean {
    const at = this.position;
    if (at && instant < at.instant) return false;
    if (at && instant === at.instant) {
      this.seenAtInstant++;
      if (this.seenAtInstant <= at.taken) return false;
      this.position = { instant, taken: this.seenAtInstant };
      return true;
    }
    this.seenAtInstant = 1;
    this.position = { instant, taken: 1 };
    return true;
  }

  get current(): LogPosition | undefined {
    return this.position;
  }
}
