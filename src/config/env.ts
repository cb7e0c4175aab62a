import { UserError } from '../core/errors.js';
import { cutTrailingComment } from '../core/lines.js';
import type { Env } from '../state/index.js';

const KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
const MAX_KEY = 256;
const MAX_VALUE = 64 * 1024;
export const MAX_CONFIG_BYTES = 512 * 1024;

export function validateKey(key: string): string {
  if (!KEY.test(key) || key.length > MAX_KEY) throw new UserError(`Invalid key name: '${key}'`);
  return key;
}

/** Env values reach the container as-is: anything but NUL, which no process environment can hold. */
export function validateValue(key: string, value: string): string {
  if (value.includes('\0')) throw new UserError(`Invalid value for ${key}: it contains a NUL byte`);
  if (Buffer.byteLength(value) > MAX_VALUE) throw new UserError(`Value of ${key} is larger than ${MAX_VALUE} bytes`);
  return value;
}

/** `KEY=VALUE` words from config:set (or `run -e`); with --encoded each value is base64. */
export function parsePairs(words: string[], encoded: boolean, noneIsFine = false): Env {
  if (words.length === 0 && !noneIsFine) throw new UserError('At least one env pair must be given');
  const env: Env = {};
  for (const word of words) {
    const eq = word.indexOf('=');
    if (eq <= 0) throw new UserError(`Invalid env pair: ${word}`);
    const key = validateKey(word.slice(0, eq));
    const raw = word.slice(eq + 1);
    env[key] = validateValue(key, encoded ? decodeBase64(key, raw) : raw);
  }
  return env;
}

function decodeBase64(key: string, text: string): string {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text.replace(/\s/g, '')))
    throw new UserError(`Value of ${key} is not valid base64`);
  return Buffer.from(text, 'base64').toString('utf8');
}

export function checkTotalSize(env: Env): void {
  const bytes = Object.entries(env).reduce((sum, [k, v]) => sum + Buffer.byteLength(k) + Buffer.byteLength(v) + 2, 0);
  if (bytes > MAX_CONFIG_BYTES) throw new UserError(`Config would be larger than ${MAX_CONFIG_BYTES} bytes`);
}

/** Keys in byte order, as Dokku sorts them (uppercase before lowercase). */
export const sortedKeys = (env: Env) => Object.keys(env).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

const singleQuote = (value: string) => `'${value.replace(/'/g, `'\\''`)}'`;

const DOUBLE_QUOTE_ESCAPES: Record<string, string> = {
  '\\': '\\\\',
  '\n': '\\n',
  '\r': '\\r',
  '"': '\\"',
  $: '\\$',
  '`': '\\`',
};
const doubleQuote = (value: string) => `"${value.replace(/[\\\n\r"$`]/g, (c) => DOUBLE_QUOTE_ESCAPES[c]!)}"`;

export const EXPORT_FORMATS = [
  'exports',
  'envfile',
  'docker-args',
  'docker-args-keys',
  'shell',
  'pretty',
  'json',
  'json-list',
] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** Dokku's config:export formats, with its names and output (`config:export --format`). */
export function exportEnv(env: Env, format: ExportFormat): string {
  const keys = sortedKeys(env);
  switch (format) {
    case 'exports':
      return keys.map((k) => `export ${k}=${singleQuote(env[k]!)}`).join('\n');
    case 'envfile':
      return keys.map((k) => `${k}=${doubleQuote(env[k]!)}`).join('\n');
    case 'docker-args':
      return keys.map((k) => `--env=${k}=${singleQuote(env[k]!)}`).join(' ');
    case 'docker-args-keys':
      return keys.map((k) => `--env=${k}`).join(' ');
    case 'shell':
      return keys.map((k) => `${k}=${singleQuote(env[k]!)} `).join('');
    case 'pretty':
      return columns(env).join('\n');
    case 'json':
      return JSON.stringify(Object.fromEntries(keys.map((k) => [k, env[k]])));
    case 'json-list':
      return JSON.stringify(keys.map((k) => ({ name: k, value: env[k] })));
  }
}

/** `KEY:  value` lines with the values aligned, as config:show prints them. */
export function columns(env: Env): string[] {
  const keys = sortedKeys(env);
  const width = Math.max(0, ...keys.map((k) => k.length)) + 1;
  return keys.map((k) => `${`${k}:`.padEnd(width)}  ${env[k]}`);
}

export function quoteForShell(value: string): string {
  return singleQuote(value);
}

/**
 * Reads an env file: `KEY=value`, `export KEY=value`, comments, 'single quoted' (literal,
 * may span lines) and "double quoted" (the escapes envfile export writes, may span lines).
 */
export function parseEnvFile(text: string): Env {
  const env: Env = {};
  // Sticky patterns read at the cursor: no copy of the rest of the text per line.
  const blankLine = /[ \t\r]*(?:#[^\n]*)?(?:\n|$)/y;
  const head = /[ \t]*(?:export[ \t]+)?([A-Za-z_][A-Za-z0-9_]*)[ \t]*=[ \t]*/y;
  const at = (pattern: RegExp, i: number) => {
    pattern.lastIndex = i;
    return pattern.exec(text);
  };
  const lineOf = (i: number) => text.slice(0, i).split('\n').length;
  let i = 0;
  while (i < text.length) {
    const blank = at(blankLine, i);
    if (blank && blank[0].length > 0) {
      i += blank[0].length;
      continue;
    }
    const assignment = at(head, i);
    if (!assignment) throw new UserError(`Invalid env file: cannot read line ${lineOf(i)}`);
    const key = assignment[1]!;
    i += assignment[0].length;
    let value: string;
    if (text[i] === "'") {
      const end = text.indexOf("'", i + 1);
      if (end === -1) throw new UserError(`Invalid env file: unterminated quote for ${key}`);
      value = text.slice(i + 1, end);
      i = end + 1;
    } else if (text[i] === '"') {
      ({ value, end: i } = readDoubleQuoted(text, i + 1, key));
    } else {
      const end = text.indexOf('\n', i);
      const raw = text.slice(i, end === -1 ? text.length : end);
      value = cutTrailingComment(raw, ['#']).trim();
      i += raw.length;
    }
    const tail = at(blankLine, i);
    if (!tail) throw new UserError(`Invalid env file: unexpected text after the value of ${key}`);
    i += tail[0].length;
    env[validateKey(key)] = validateValue(key, value);
  }
  return env;
}

/** A "double quoted" value from just after its opening quote: the escapes envfile export writes. */
function readDoubleQuoted(text: string, start: number, key: string): { value: string; end: number } {
  const parts: string[] = [];
  let i = start;
  for (;;) {
    if (i >= text.length) throw new UserError(`Invalid env file: unterminated quote for ${key}`);
    const c = text[i++]!;
    if (c === '"') return { value: parts.join(''), end: i };
    if (c !== '\\') {
      parts.push(c);
      continue;
    }
    const next = text[i++] ?? '';
    parts.push(next === 'n' ? '\n' : next === 'r' ? '\r' : next);
  }
}

const isStringPair = (entry: unknown[]): entry is [string, string] =>
  typeof entry[0] === 'string' && typeof entry[1] === 'string';

export function parseJsonEnv(text: string): Env {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new UserError('Invalid JSON');
  }
  const entries: unknown[][] | undefined = Array.isArray(json)
    ? json.map((item: unknown) => {
        const { name, value } = (item ?? {}) as { name?: unknown; value?: unknown };
        return [name, value];
      })
    : json && typeof json === 'object'
      ? Object.entries(json)
      : undefined;
  if (!entries?.every(isStringPair)) {
    throw new UserError('JSON config must be an object of strings, or a list of {name, value}');
  }
  return Object.fromEntries(entries.map(([k, v]) => [validateKey(k), validateValue(k, v)]));
}
