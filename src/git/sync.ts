import net from 'node:net';
import { UserError } from '../core/errors.js';
import { RefusedDestination, resolvePublicDestination, type PublicDestination } from '../core/public-destination.js';
import { runProgram } from '../core/process.js';
import { ensureRepo } from './repos.js';

const FETCH_TIMEOUT_MS = 10 * 60_000;
const SLOW_SERVER_LIMITS = ['-c', 'http.lowSpeedLimit=1000', '-c', 'http.lowSpeedTime=60'];
const KEPT_OUTPUT_CHARS = 64 * 1024;
/** A branch, tag or commit as a person would type it; never an option (`-…`) or a range (`..`). */
const REF = /^[A-Za-z0-9_][A-Za-z0-9._/-]{0,199}$/;
const REMOTE_URL = /^(https?|ssh|git|file):\/\/[^\s]+$/;
const SCP_LIKE = /^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:[^\s]+$/;
const LOCAL_PATH = /^\/[^\s]*$/;

/**
 * Which repositories a caller may sync from: anyone, public https URLs; admins also http,
 * git, ssh, host paths and file:// (a tenant naming a host path could read another app's
 * repository; plain http could be altered on its way).
 */
function allowedProtocols(isAdmin: boolean): string[] {
  return isAdmin ? ['https', 'http', 'git', 'ssh', 'file'] : ['https'];
}

function checkSource(source: string, isAdmin: boolean): void {
  const url = REMOTE_URL.exec(source);
  const ok = source.length <= 2000 && (url || SCP_LIKE.test(source) || LOCAL_PATH.test(source));
  if (!ok)
    throw new UserError(
      `Invalid repository ${shown(source)}: give a URL (https://…) or, as an admin, a path on this host`,
    );
  const protocol = url ? url[1]! : SCP_LIKE.test(source) ? 'ssh' : 'file';
  if (!allowedProtocols(isAdmin).includes(protocol))
    throw new UserError(
      `Only an admin key may sync from ${protocol === 'file' ? 'a path on this host' : `${protocol} URLs`}`,
    );
}

/**
 * What a key other than an admin's is told when its remote was refused or could not be
 * fetched, whatever the reason (a private address, a closed port, no DNS name, an error or a
 * redirect from the server): telling them apart would make git:sync a scanner of the networks
 * this host reaches.
 */
const notFetchedByTenant = (source: string, ref: string | undefined) =>
  new UserError(
    `Could not fetch ${ref ?? 'HEAD'} from ${shown(source)}: unreachable, refused, or not a repository this key may sync from (public https:// addresses only, no redirects)`,
  );

/**
 * git:sync: fetches `ref` (default: the repository's HEAD) of another repository into the
 * app's own and points the deploy branch at it, with no push and no hook. Returns the commit
 * and the one it replaced.
 */
export async function syncRepo(options: {
  reposDir: string;
  app: string;
  branch: string;
  source: string;
  ref: string | undefined;
  isAdmin: boolean;
}): Promise<{ rev: string; previous: string | undefined }> {
  checkSource(options.source, options.isAdmin);
  if (options.ref !== undefined && (!REF.test(options.ref) || options.ref.includes('..')))
    throw new UserError(`Invalid git ref ${options.ref.slice(0, 200)}`);
  const remote = options.isAdmin
    ? { url: options.source, options: [] }
    : await confineToPublicDestination(options.source, options.ref);
  const gitDir = await ensureRepo(options.reposDir, options.app);
  const protocols = [
    '-c',
    'protocol.allow=never',
    ...allowedProtocols(options.isAdmin).flatMap((p) => ['-c', `protocol.${p}.allow=always`]),
  ];
  // Never wait for a password or a host key question nobody can answer.
  const env = { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_SSH_COMMAND: 'ssh -o BatchMode=yes' };
  // A server that trickles is given up on (under 1 KB/s for a minute); one that never ends is
  // stopped at the time limit, git killed with it; of what git says, only the end is kept.
  const fetched = await runProgram(
    'git',
    [
      ...protocols,
      ...remote.options,
      ...SLOW_SERVER_LIMITS,
      '-c',
      'fetch.fsckObjects=true',
      '--git-dir',
      gitDir,
      'fetch',
      '--quiet',
      '--no-tags',
      '--no-write-fetch-head',
      '--',
      remote.url,
      `+${options.ref ?? 'HEAD'}:refs/slipway/sync`,
    ],
    {
      env,
      keepChars: KEPT_OUTPUT_CHARS,
      timeout: {
        ms: FETCH_TIMEOUT_MS,
        onTimeout: () =>
          options.isAdmin
            ? new UserError(`Fetching ${options.source} took longer than ${FETCH_TIMEOUT_MS / 60_000} minutes`)
            : notFetchedByTenant(options.source, options.ref),
      },
    },
  );
  if (fetched.code !== 0) {
    if (!options.isAdmin) throw notFetchedByTenant(options.source, options.ref);
    throw new UserError(`Could not fetch ${options.ref ?? 'HEAD'} from ${options.source}: ${lastLine(fetched.stderr)}`);
  }
  const rev = (await git(gitDir, ['rev-parse', '--verify', 'refs/slipway/sync^{commit}'])).trim();
  const previous =
    (
      await runProgram('git', ['--git-dir', gitDir, 'rev-parse', '--verify', '--quiet', `refs/heads/${options.branch}`])
    ).stdout.trim() || undefined;
  await git(gitDir, ['update-ref', `refs/heads/${options.branch}`, rev]);
  await git(gitDir, ['update-ref', '-d', 'refs/slipway/sync']);
  return { rev, previous };
}

/**
 * A tenant's URL must lead to a public destination (not this host, not a network behind it).
 * Git is given the URL exactly as it was read and checked, and is held to that reading: it
 * connects only to the addresses checked (a name that resolves elsewhere a moment later, DNS
 * rebinding, changes nothing; curl takes no pin for an IPv6 literal, which is its own only
 * address), through no proxy (a proxy would resolve the name again), and follows no redirect
 * (a public server's redirect could name any host; git's http-alternates count as redirects).
 */
async function confineToPublicDestination(
  source: string,
  ref: string | undefined,
): Promise<{ url: string; options: string[] }> {
  let destination: PublicDestination;
  try {
    destination = await resolvePublicDestination(source, { protocols: ['https'] });
  } catch (error) {
    if (!(error instanceof RefusedDestination)) throw error;
    if (error.kind === 'form') throw new UserError(`Invalid repository ${shown(source)}: ${error.message}`);
    throw notFetchedByTenant(source, ref);
  }
  return { url: destination.url, options: gitOptionsPinnedTo(destination) };
}

/** git's `-c` options that hold its HTTP transport to `destination`'s checked addresses. */
export function gitOptionsPinnedTo(destination: PublicDestination): string[] {
  // An empty value drops what git's own configuration set: resolve entries, a proxy, and the
  // credential helpers (an admin's stored password is not for the server a tenant names).
  const options = [
    '-c',
    'http.followRedirects=false',
    '-c',
    'http.proxy=',
    '-c',
    'credential.helper=',
    '-c',
    'http.curloptResolve=',
  ];
  if (destination.literal === 6) return options;
  const addresses = destination.addresses.map((address) => (net.isIPv6(address) ? `[${address}]` : address)).join(',');
  return [...options, '-c', `http.curloptResolve=${destination.host}:${destination.port}:${addresses}`];
}

async function git(gitDir: string, args: string[]): Promise<string> {
  const result = await runProgram('git', ['--git-dir', gitDir, ...args]);
  if (result.code !== 0) throw new UserError(`git ${args[0]} failed: ${lastLine(result.stderr)}`);
  return result.stdout;
}

const lastLine = (text: string) => text.trim().split('\n').pop() ?? '';
const shown = (source: string) => source.slice(0, 200);
