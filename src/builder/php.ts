import { z } from 'zod';
import { UserError } from '../core/errors.js';
import { parseJsonFile } from '../core/input.js';
import { compareVersions, holdsComparison } from './versions.js';

/**
 * PHP from the stack's Debian (bookworm): php8.2, one minor version whose patch releases come
 * with Debian's updates (composer checks the exact release at the build).
 */
export const PHP_SERIES = '8.2';

/** Extensions built into Debian's php8.2-cli and php8.2-common, by the name composer.json requires them by (`ext-NAME`). */
const BUILT_IN_EXTENSIONS = [
  'core',
  'date',
  'filter',
  'hash',
  'json',
  'libxml',
  'openssl',
  'pcntl',
  'pcre',
  'random',
  'reflection',
  'session',
  'sodium',
  'spl',
  'standard',
  'zlib',
  'calendar',
  'ctype',
  'exif',
  'ffi',
  'fileinfo',
  'ftp',
  'gettext',
  'iconv',
  'pdo',
  'phar',
  'posix',
  'shmop',
  'sockets',
  'sysvmsg',
  'sysvsem',
  'sysvshm',
  'tokenizer',
];

/** The Debian packages of the extensions the PHP images have, and the extensions each gives. */
const EXTENSION_PACKAGES: Record<string, string[]> = {
  'php8.2-apcu': ['apcu'],
  'php8.2-bcmath': ['bcmath'],
  'php8.2-bz2': ['bz2'],
  'php8.2-curl': ['curl'],
  'php8.2-gd': ['gd'],
  'php8.2-gmp': ['gmp'],
  'php8.2-intl': ['intl'],
  'php8.2-mbstring': ['mbstring'],
  'php8.2-mysql': ['mysqli', 'mysqlnd', 'pdo_mysql'],
  'php8.2-opcache': ['zend-opcache'],
  'php8.2-pgsql': ['pgsql', 'pdo_pgsql'],
  'php8.2-readline': ['readline'],
  'php8.2-redis': ['redis', 'igbinary'],
  'php8.2-soap': ['soap'],
  'php8.2-sqlite3': ['sqlite3', 'pdo_sqlite'],
  'php8.2-xml': ['dom', 'simplexml', 'xml', 'xmlreader', 'xmlwriter', 'xsl'],
  'php8.2-zip': ['zip'],
};

/** What the PHP build and run images install besides PHP itself. */
export const PHP_EXTENSION_PACKAGES = Object.keys(EXTENSION_PACKAGES);

const EXTENSIONS = new Set([...BUILT_IN_EXTENSIONS, ...Object.values(EXTENSION_PACKAGES).flat()]);

const composerJsonSchema = z.looseObject({ require: z.record(z.string(), z.string()).optional() });

/**
 * Checks composer.json's `require` against this host's PHP before any image is made: the
 * `php` constraint must allow PHP 8.2 (Debian has no other), and every `ext-*` must be an
 * extension the images have. Returns a line for the build output.
 */
export function checkPhpRequirements(series: string, composerJson: string | undefined): string {
  if (composerJson === undefined) return `PHP ${series} (no composer.json)`;
  const require = parseJsonFile(composerJsonSchema, composerJson, 'composer.json').require ?? {};
  const names = Object.keys(require).map((name) => name.toLowerCase());
  const missing = names.flatMap((name) => (name.startsWith('ext-') && !EXTENSIONS.has(name.slice(4)) ? [name] : []));
  if (missing.length > 0) {
    throw new UserError(
      `This app needs ${missing.join(', ')} (composer.json), which this host's PHP ${series} does not have: ` +
        `it has ${[...EXTENSIONS].sort().join(', ')}; remove the requirement or build from a Dockerfile`,
    );
  }
  const constraint = Object.entries(require).find(([name]) => name.toLowerCase() === 'php')?.[1];
  if (constraint === undefined) return `PHP ${series} (composer.json names no php version)`;
  if (!allowsSeries(constraint, series)) {
    throw new UserError(
      `This app needs PHP ${constraint} (composer.json), and this host has PHP ${series} (Debian's php${series}): change composer.json's php requirement or build from a Dockerfile`,
    );
  }
  return `PHP ${series} (composer.json asks for ${constraint})`;
}

/** Whether a release of the series (8.2.0 to 8.2.99, Debian's being one of them) satisfies the constraint. */
function allowsSeries(constraint: string, series: string): boolean {
  return Array.from({ length: 100 }, (_, patch) => `${series}.${patch}`).some((version) =>
    satisfiesComposerConstraint(version, constraint),
  );
}

/**
 * Composer's version constraints (https://getcomposer.org/doc/articles/versions.md): `||`
 * (or `|`) between alternatives, `,` or a space between requirements that must all hold,
 * hyphen ranges, wildcards (`8.2.*`), `^`, `~` (`~8.1` is >= 8.1 and < 9), comparisons;
 * stability flags (`@dev`) are ignored.
 */
export function satisfiesComposerConstraint(version: string, constraint: string): boolean {
  return constraint.split('|').some((alternative) => alternative !== '' && satisfiesAll(version, alternative.trim()));
}

function satisfiesAll(version: string, alternative: string): boolean {
  const hyphen = /^(\S+)\s+-\s+(\S+)$/.exec(alternative);
  if (hyphen) {
    const [low, high] = [parse(hyphen[1]!, alternative), parse(hyphen[2]!, alternative)];
    // A partial upper bound is a wildcard: `8.0 - 8.2` allows every 8.2 release.
    const below = high.length < 3 ? compare(version, bump(high, high.length - 1)) < 0 : compare(version, high) <= 0;
    return compare(version, low) >= 0 && below;
  }
  const requirements = alternative
    .replace(/(>=|<=|<>|!=|==|>|<|=|\^|~)\s+/g, '$1')
    .split(/[\s,]+/)
    .filter(Boolean);
  if (requirements.length === 0) throw invalid(alternative);
  return requirements.every((requirement) => satisfiesOne(version, requirement));
}

function satisfiesOne(version: string, requirement: string): boolean {
  const match = /^(>=|<=|<>|!=|==|>|<|=|\^|~)?v?(\d+(?:\.\d+){0,3})?((?:\.[*x])?|\*)(?:@[a-z]+)?$/i.exec(requirement);
  if (!match || (match[2] === undefined && match[3] !== '*')) throw invalid(requirement);
  const [, operator = '=', numbers, wildcard] = match;
  if (numbers === undefined) return true; // `*`
  const parts = numbers.split('.').map(Number);
  const order = compare(version, parts);
  if (wildcard) return order >= 0 && compare(version, bump(parts, parts.length - 1)) < 0;
  const compared = holdsComparison(operator, order);
  if (compared !== undefined) return compared;
  if (operator === '^') {
    const first = parts.findIndex((part) => part !== 0);
    return order >= 0 && compare(version, bump(parts, first === -1 ? parts.length - 1 : first)) < 0;
  }
  // `~`
  return order >= 0 && compare(version, bump(parts, Math.max(parts.length - 2, 0))) < 0;
}

function parse(text: string, whole: string): number[] {
  const match = /^v?(\d+(?:\.\d+){0,3})$/.exec(text);
  if (!match) throw invalid(whole);
  return match[1]!.split('.').map(Number);
}

/** The parts up to `index`, that one plus one: the first version past a `^`, `~` or wildcard. */
function bump(parts: number[], index: number): number[] {
  return [...parts.slice(0, index), parts[index]! + 1];
}

/** Compares a version with the parts of another, missing parts as 0 (Composer: 8.2 is 8.2.0). */
function compare(version: string, parts: number[]): number {
  return compareVersions(version, parts.join('.'));
}

function invalid(text: string): UserError {
  return new UserError(`Invalid PHP version constraint in composer.json: ${text}`);
}
