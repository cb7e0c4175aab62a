import semver from 'semver';
import { z } from 'zod';
import { UserError } from '../core/errors.js';
import { parseJsonFile } from '../core/input.js';

/** What a Node.js app asks for, and where it said so (for the build output and errors). */
export interface NodeRequest {
  /** A semver range, an exact version, or an alias (`lts/*`, `lts/iron`, `node`); undefined: the current LTS. */
  node: string | undefined;
  nodeFrom: string;
  npm: string | undefined;
  packageManager: PackageManager;
  /** The script run after installing: heroku-postbuild wins over build, as on Heroku. */
  buildScript: 'heroku-postbuild' | 'build' | undefined;
}

export interface PackageManager {
  name: 'npm' | 'yarn' | 'pnpm';
  /** The version `packageManager` pins (corepack fetches it); undefined: corepack's own default. */
  version: string | undefined;
}

/** Ranges are short; a longer one is refused before semver parses it (its parser is not linear on every input). */
const MAX_RANGE = 128;

const packageJsonSchema = z.looseObject({
  engines: z.looseObject({ node: z.string().optional(), npm: z.string().optional() }).optional(),
  scripts: z.record(z.string(), z.unknown()).optional(),
  packageManager: z.string().optional(),
});

/** Node's LTS code names, for `.nvmrc` files that say `lts/<name>`. */
const LTS_NAMES: Record<string, number> = {
  argon: 4,
  boron: 6,
  carbon: 8,
  dubnium: 10,
  erbium: 12,
  fermium: 14,
  gallium: 16,
  hydrogen: 18,
  iron: 20,
  jod: 22,
  krypton: 24,
};

/**
 * Reads the app's version wishes: `engines.node` in package.json first (as Heroku), then
 * `.node-version`, then `.nvmrc`; `engines.npm`; yarn or pnpm from `packageManager` or from
 * their lockfile.
 */
export function nodeRequest(files: {
  packageJson: string;
  nodeVersion?: string;
  nvmrc?: string;
  lockfiles: string[];
}): NodeRequest {
  const pkg = parseJsonFile(packageJsonSchema, files.packageJson, 'package.json');
  const fromFile = (text: string | undefined) =>
    text
      ?.split('\n')
      .map((l) => l.replace(/#.*/, '').trim())
      .find(Boolean);
  const candidates: [string | undefined, string][] = [
    [pkg.engines?.node, 'engines.node in package.json'],
    [fromFile(files.nodeVersion), '.node-version'],
    [fromFile(files.nvmrc), '.nvmrc'],
  ];
  const [node, nodeFrom] = candidates.find(([value]) => value !== undefined && value.trim() !== '') ?? [
    undefined,
    'the current LTS',
  ];
  const scripts = pkg.scripts ?? {};
  return {
    node: node?.trim(),
    nodeFrom,
    npm: pkg.engines?.npm?.trim() || undefined,
    packageManager: packageManagerOf(pkg.packageManager, files.lockfiles),
    buildScript:
      typeof scripts['heroku-postbuild'] === 'string'
        ? 'heroku-postbuild'
        : typeof scripts.build === 'string'
          ? 'build'
          : undefined,
  };
}

function packageManagerOf(field: string | undefined, lockfiles: string[]): PackageManager {
  if (field !== undefined) {
    const match = /^(npm|yarn|pnpm)@(\d+\.\d+\.\d+[-+.\w]*)$/.exec(field.trim());
    if (!match)
      throw new UserError(
        `Invalid packageManager "${field}" in package.json: expected npm@x.y.z, yarn@x.y.z or pnpm@x.y.z`,
      );
    return { name: match[1] as PackageManager['name'], version: match[2] };
  }
  if (lockfiles.includes('pnpm-lock.yaml')) return { name: 'pnpm', version: undefined };
  if (lockfiles.includes('yarn.lock') && !lockfiles.includes('package-lock.json'))
    return { name: 'yarn', version: undefined };
  return { name: 'npm', version: undefined };
}

/**
 * The newest installable Node.js version the request allows. With no request, the current
 * LTS: the newest even major that an odd major has followed (Node's schedule makes an even
 * release LTS when the next odd one comes out). `uninstallable`: versions published in a
 * form this host cannot install (old packages, see node-toolchain.ts), named in the error
 * when they are all the request matches.
 */
export function resolveNodeVersion(
  request: Pick<NodeRequest, 'node' | 'nodeFrom'>,
  installable: string[],
  uninstallable: string[] = [],
): string {
  const versions = releases(installable);
  const wanted = request.node?.replace(/^v(?=\d)/, '');
  const range = wantedRange(request, wanted);
  const found = range === 'lts' ? newestLts(versions) : semver.maxSatisfying(versions, range);
  if (found !== null) return found;
  const nearest = nearestVersions(range === 'lts' ? '*' : range, versions);
  const instead =
    nearest.length > 0 ? `the nearest that can be installed: ${nearest.join(', ')}` : 'none can be installed';
  const published = semver.maxSatisfying(releases(uninstallable), range === 'lts' ? '*' : range);
  if (published !== null) {
    throw new UserError(
      `Node.js ${published} (${request.nodeFrom}) is published only as an old package that Slipway cannot install (no bin/node in it); ${instead}`,
    );
  }
  throw new UserError(`No Node.js version matches "${wanted}" (${request.nodeFrom}); ${instead}`);
}

function releases(versions: string[]): string[] {
  return versions.filter((v) => semver.valid(v) && semver.prerelease(v) === null);
}

/** The semver range a request stands for, or `lts` for the current LTS. */
function wantedRange(request: Pick<NodeRequest, 'nodeFrom'>, wanted: string | undefined): string {
  if (wanted === undefined || wanted === 'lts/*' || wanted === 'lts') return 'lts';
  if (wanted === 'node' || wanted === 'latest' || wanted === 'current') return '*';
  if (wanted.startsWith('lts/')) {
    const major = LTS_NAMES[wanted.slice('lts/'.length).toLowerCase()];
    if (major === undefined) throw new UserError(`Unknown Node.js LTS name "${wanted}" in ${request.nodeFrom}`);
    return `${major}.x`;
  }
  if (wanted.length > MAX_RANGE || semver.validRange(wanted) === null) {
    throw new UserError(
      `Invalid Node.js version "${wanted.slice(0, MAX_RANGE)}" in ${request.nodeFrom}: expected a version or a semver range such as 22.x`,
    );
  }
  return wanted;
}

/**
 * What to suggest when nothing matches: the newest version below the range's lowest and
 * the oldest above it (and the newest overall), as Heroku's buildpack names what it has.
 */
function nearestVersions(range: string, versions: string[]): string[] {
  const sorted = semver.sort([...versions]);
  const floor = semver.minVersion(range) ?? semver.parse('0.0.0')!;
  const below = sorted.filter((v) => semver.lt(v, floor)).at(-1);
  const above = sorted.find((v) => semver.gte(v, floor) && !semver.satisfies(v, range));
  return [...new Set([below, above, sorted.at(-1)].filter((v): v is string => v !== undefined))];
}

function newestLts(versions: string[]): string | null {
  const majors = new Set(versions.map((v) => semver.major(v)));
  const lts = [...majors].filter((m) => m % 2 === 0 && majors.has(m + 1)).sort((a, b) => b - a)[0];
  return lts === undefined ? semver.maxSatisfying(versions, '*') : semver.maxSatisfying(versions, `${lts}.x`);
}

/**
 * The npm to build with: the newest that `engines.npm` allows (any when absent) and that
 * supports the chosen Node.js, by npm's own `engines.node`.
 */
export function resolveNpmVersion(
  range: string | undefined,
  nodeVersion: string,
  published: { version: string; engines?: { node?: string } }[],
): string {
  if (range !== undefined && (range.length > MAX_RANGE || semver.validRange(range) === null)) {
    throw new UserError(`Invalid npm version "${range.slice(0, MAX_RANGE)}" in engines.npm (package.json)`);
  }
  const fits = published.filter(
    (p) =>
      semver.valid(p.version) &&
      semver.prerelease(p.version) === null &&
      semver.satisfies(p.version, range ?? '*') &&
      (p.engines?.node === undefined || semver.satisfies(nodeVersion, p.engines.node)),
  );
  const found = semver.maxSatisfying(
    fits.map((p) => p.version),
    '*',
  );
  if (found === null)
    throw new UserError(`No npm version matches "${range ?? '*'}" (engines.npm) and runs on Node.js ${nodeVersion}`);
  return found;
}
