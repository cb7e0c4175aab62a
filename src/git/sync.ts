import { lookup } from 'node:dns/promises';
import net from 'node:net';
import { UserError } from '../core/errors.js';
import { runProgram, withTimeout } from '../core/process.js';
import { ensureRepo } from './repos.js';

const FETCH_TIMEOUT_MS = 10 * 60_000;
/** A branch, tag or commit as a person would type it; never an option (`-…`) or a range (`..`). */
const REF = /^[A-Za-z0-9_][A-Za-z0-9._/-]{0,199}$/;
const REMOTE_URL = /^(https?|ssh|git|file):\/\/[^\s]+$/;
const SCP_LIKE = /^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:[^\s]+$/;
const LOCAL_PATH = /^\/[^\s]*$/;
/** How git reports a redirect it was told not to follow. */
const REDIRECTED = /returned error: 30[12378]$/;

/**
 * Which repositories a caller may sync from: anyone, public http(s) URLs; admins also host
 * paths, file:// and ssh (a tenant naming a host path could read another app's repository).
 */
function allowedProtocols(isAdmin: boolean): string[] {
  return isAdmin ? ['https', 'http', 'git', 'ssh', 'file'] : ['https', 'http'];
}

function checkSource(source: string, isAdmin: boolean): void {
  const url = REMOTE_URL.exec(source);
  const ok = source.length <= 2000 && (url || SCP_LIKE.test(source) || LOCAL_PATH.test(source));
  if (!ok) throw new UserError(`Invalid repository ${source.slice(0, 200)}: give a URL (https://…) or, as an admin, a path on this host`);
  const protocol = url ? url[1]! : SCP_LIKE.test(source) ? 'ssh' : 'file';
  if (!allowedProtocols(isAdmin).includes(protocol)) throw new UserError(`Only an admin key may sync from ${protocol === 'file' ? 'a path on this host' : `${protocol} URLs`}`);
}

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
  const confined = options.isAdmin ? [] : await confineToPublicHost(options.source);
  if (options.ref !== undefined && (!REF.test(options.ref) || options.ref.includes('..'))) throw new UserError(`Invalid git ref ${options.ref.slice(0, 200)}`);
  const gitDir = await ensureRepo(options.reposDir, options.app);
  const protocols = ['-c', 'protocol.allow=never', ...allowedProtocols(options.isAdmin).flatMap((p) => ['-c', `protocol.${p}.allow=always`])];
  // Never wait for a password or a host key question nobody can answer.
  const env = { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_SSH_COMMAND: 'ssh -o BatchMode=yes' };
  const fetch = runProgram(
    'git',
    [...protocols, ...confined, '-c', 'fetch.fsckObjects=true', '--git-dir', gitDir, 'fetch', '--quiet', '--no-tags', '--no-write-fetch-head', '--', options.source, `+${options.ref ?? 'HEAD'}:refs/slipway/sync`],
    { env },
  );
  const fetched = await withTimeout(fetch, FETCH_TIMEOUT_MS, () => new UserError(`Fetching ${options.source} took longer than ${FETCH_TIMEOUT_MS / 60_000} minutes`));
  if (fetched.code !== 0) {
    const reason = lastLine(fetched.stderr);
    if (!options.isAdmin && REDIRECTED.test(reason)) throw new UserError(`${options.source} redirects elsewhere: give the repository's own URL (a sync by a key other than an admin's follows no redirect)`);
    throw new UserError(`Could not fetch ${options.ref ?? 'HEAD'} from ${options.source}: ${reason}`);
  }
  const rev = (await git(gitDir, ['rev-parse', '--verify', 'refs/slipway/sync^{commit}'])).trim();
  const previous = (await runProgram('git', ['--git-dir', gitDir, 'rev-parse', '--verify', '--quiet', `refs/heads/${options.branch}`])).stdout.trim() || undefined;
  await git(gitDir, ['update-ref', `refs/heads/${options.branch}`, rev]);
  await git(gitDir, ['update-ref', '-d', 'refs/slipway/sync']);
  return { rev, previous };
}

/** Addresses a key other than an admin's may not have the daemon fetch from: this host and private networks. */
const INTERNAL = new net.BlockList();
for (const [network, prefix] of [['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12], ['192.168.0.0', 16]] as const) {
  INTERNAL.addSubnet(network, prefix, 'ipv4');
}
// Not ::ffff:0:0/96 here: BlockList matches every IPv4 address against it (as mapped), which
// refused all of them; a mapped address is checked as the IPv4 address it carries instead.
for (const [network, prefix] of [['::', 127], ['fc00::', 7], ['fe80::', 10]] as const) INTERNAL.addSubnet(network, prefix, 'ipv6');

/** The IPv4 address an IPv4-mapped IPv6 address carries (`::ffff:127.0.0.1`, `::ffff:7f00:1`). */
function mappedIpv4(address: string): string | undefined {
  const mapped = /^::ffff:(?:(\d+\.\d+\.\d+\.\d+)|([0-9a-f]{1,4}):([0-9a-f]{1,4}))$/i.exec(address);
  if (!mapped) return undefined;
  if (mapped[1]) return mapped[1];
  const [high, low] = [parseInt(mapped[2]!, 16), parseInt(mapped[3]!, 16)];
  return [high >> 8, high & 255, low >> 8, low & 255].join('.');
}

function isInternal(address: string, family: number): boolean {
  const ipv4 = family === 6 ? mappedIpv4(address) : address;
  return ipv4 === undefined ? INTERNAL.check(address, 'ipv6') : INTERNAL.check(ipv4, 'ipv4');
}

/**
 * A tenant's URL must not lead the daemon to this host or a private network (the services
 * behind it). The name is resolved once and checked, and git is held to what was checked:
 * it connects to those addresses (a name that resolves elsewhere a moment later, DNS
 * rebinding, changes nothing) and follows no redirect (a public server's redirect could name
 * any host). Returns git's options for that.
 */
async function confineToPublicHost(source: string): Promise<string[]> {
  const url = new URL(source);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  let addresses: { address: string; family: number }[];
  try {
    addresses = await lookup(host, { all: true });
  } catch {
    throw new UserError(`Could not resolve ${host}`);
  }
  const internal = addresses.find((a) => isInternal(a.address, a.family));
  if (internal) throw new UserError(`${host} is this host or a private network (${internal.address}): only an admin key may sync from there`);
  const noRedirects = ['-c', 'http.followRedirects=false'];
  if (net.isIP(host)) return noRedirects;
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  const checked = addresses.map((a) => (a.family === 6 ? `[${a.address}]` : a.address)).join(',');
  return [...noRedirects, '-c', `http.curloptResolve=${host}:${port}:${checked}`];
}

async function git(gitDir: string, args: string[]): Promise<string> {
  const result = await runProgram('git', ['--git-dir', gitDir, ...args]);
  if (result.code !== 0) throw new UserError(`git ${args[0]} failed: ${lastLine(result.stderr)}`);
  return result.stdout;
}

const lastLine = (text: string) => text.trim().split('\n').pop() ?? '';
