import type { DrainRecord } from './records.js';

/**
 * RFC 5424 messages in RFC 6587's octet-counting framing, as syslog drains receive them (and
 * as Heroku's drains send them): APP-NAME is the app, PROCID the process and its index
 * (`web.1`), the release in structured data.
 */

/** user.info: the app's output, as a program's messages to syslog. */
const PRI = 1 * 8 + 6;
/** An SD-ID needs an enterprise number: 32473 is RFC 5612's, reserved for documentation and examples. */
const SD_ID = 'slipway@32473';
const LIMITS = { hostname: 255, appName: 48, procId: 128 };

/** A header field: printable US-ASCII without spaces, at most `max` characters; `-` when empty. */
function headerField(value: string, max: number): string {
  const printable = value.replace(/[^\x21-\x7e]/g, '_').slice(0, max);
  return printable === '' ? '-' : printable;
}

/** SD-PARAM values escape `"`, `\` and `]` (RFC 5424 §6.3.3). */
const sdValue = (value: string) => value.replace(/["\\\]]/g, (c) => `\\${c}`);

/** RFC 5424 TIMESTAMP: at most six digits of a second. */
function timestamp(time: string): string {
  return time.replace(/^(.*?T\d{2}:\d{2}:\d{2})(?:\.(\d+))?Z$/, (_, seconds: string, fraction?: string) =>
    fraction ? `${seconds}.${fraction.slice(0, 6)}Z` : `${seconds}Z`,
  );
}

/** `web.1`; the router's lines (index 0) are `router`, as Heroku names them. */
export const procId = (record: DrainRecord) =>
  record.index === 0 ? record.process : `${record.process}.${record.index}`;

/** One record as an RFC 5424 message. Pure. */
export function formatSyslog(record: DrainRecord, hostname: string): string {
  const header = [
    `<${PRI}>1`,
    timestamp(record.time),
    headerField(hostname, LIMITS.hostname),
    headerField(record.app, LIMITS.appName),
    headerField(procId(record), LIMITS.procId),
    '-',
  ].join(' ');
  return `${header} [${SD_ID} release="${sdValue(String(record.release))}"] ${record.message}`;
}

/** Octet counting (RFC 6587 §3.4.1): the message's length in bytes, a space, the message. Pure. */
export function frameOctetCounted(message: string): Buffer {
  const body = Buffer.from(message, 'utf8');
  return Buffer.concat([Buffer.from(`${body.length} `), body]);
}
