import { lookup as dnsLookup } from 'node:dns/promises';
import net from 'node:net';
import os from 'node:os';
import ipaddr from 'ipaddr.js';

/**
 * Whether a URL a user gave leads to a public destination, and the addresses a client must be
 * held to for it: the policy for anything the daemon fetches or calls on a user's behalf that
 * must not reach this host or the networks behind it (git:sync and log drains by a tenant).
 *
 * A URL is read once, strictly: only a form that every parser reads the same way is accepted
 * (WHATWG, which Node uses, and curl, which git uses, disagree on `\`, on which `@` ends the
 * user name, on numeric host forms), and clients are given the canonical URL made from that one
 * reading, with the addresses that were checked. An address is public when ipaddr.js puts it in
 * no special-purpose range and it is none of this host's own.
 */

export type DestinationProtocol = 'https' | 'http' | 'syslog' | 'syslog+tls';

/** A URL as read by `parseDestinationUrl`: what a client connects to. */
export interface DestinationUrl {
  /** The canonical URL to give the client (WHATWG's serialization of the one reading). */
  url: string;
  protocol: DestinationProtocol;
  /** A lower-case name, a dotted-quad IPv4 address, or an IPv6 address (no brackets). */
  host: string;
  /** 4 or 6 when the host is an IP address written in the URL, 0 for a name. */
  literal: 0 | 4 | 6;
  port: number;
}

/** A destination that was checked: the client connects only to `addresses`. */
export interface PublicDestination extends DestinationUrl {
  addresses: string[];
}

/**
 * Why a destination was refused. `form`: the URL's text alone (safe to tell anyone);
 * `address`: what the name resolves to or that it does not (tell it only to those who may
 * know the network, or it maps it for them).
 */
export class RefusedDestination extends Error {
  constructor(
    readonly kind: 'form' | 'address',
    message: string,
  ) {
    super(message);
    this.name = 'RefusedDestination';
  }
}

const MAX_URL = 2000;
/** scheme://authority[/path], where the authority ends at the first `/` for every parser: no `?`, `#`, `\`, `@`, `%` before it. */
const URL_SHAPE =
  /^(https?|syslog(?:\+tls)?):\/\/([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::([0-9]{1,5}))?(\/[A-Za-z0-9._~!$&'()*+,;=:@/%-]*)?$/;
const BAD_PERCENT = /%(?![0-9A-Fa-f]{2})/;
const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
/** A last label WHATWG would read as a number (then the whole name as an IPv4 address). */
const NUMERIC_LABEL = /^(?:0x[0-9a-f]*|[0-9]+)$/;
/** syslog: RFC 5424 over TCP (RFC 6587), and over TLS (RFC 5425's port). */
const DEFAULT_PORTS: Record<DestinationProtocol, number> = { https: 443, http: 80, syslog: 514, 'syslog+tls': 6514 };

/** Reads `text` as a URL of one of `protocols`, or throws RefusedDestination ('form'). Pure. */
export function parseDestinationUrl(text: string, protocols: readonly DestinationProtocol[]): DestinationUrl {
  const shape = text.length <= MAX_URL ? URL_SHAPE.exec(text) : null;
  if (!shape || BAD_PERCENT.test(text)) {
    throw new RefusedDestination(
      'form',
      `give the URL as ${protocols[0]}://HOST[:PORT]/PATH: no user name or password, no query or fragment, no backslash or percent sign in the host`,
    );
  }
  const [, protocol, written, portText] = shape as unknown as [string, DestinationProtocol, string, string | undefined];
  if (!protocols.includes(protocol))
    throw new RefusedDestination(
      'form',
      `${protocol}:// URLs are not accepted here (only ${protocols.map((p) => `${p}://`).join(', ')})`,
    );
  const port = portText === undefined ? DEFAULT_PORTS[protocol] : Number(portText);
  if (!/^[1-9]/.test(portText ?? '1') || port > 65535) throw new RefusedDestination('form', `invalid port ${portText}`);
  const read = readHost(written);
  let parsed: URL;
  try {
    parsed = new URL(text);
  } catch {
    throw new RefusedDestination('form', `invalid host ${written}`);
  }
  // The one reading must be WHATWG's too (IPv6: the same address, which it writes compressed;
  // syslog URLs are not special to it, so it keeps their host's case).
  const host = (read.literal === 6 ? parsed.hostname.slice(1, -1) : parsed.hostname).toLowerCase();
  if (read.literal !== 6 && host !== read.host) throw new RefusedDestination('form', `invalid host ${written}`);
  return { url: parsed.href, protocol, host, literal: read.literal, port };
}

/** The host as written, when it is a plain name or address. */
function readHost(written: string): { host: string; literal: 0 | 4 | 6 } {
  if (written.startsWith('[')) {
    if (net.isIPv6(written.slice(1, -1))) return { host: written.slice(1, -1), literal: 6 };
    throw new RefusedDestination('form', `invalid IPv6 address ${written}`);
  }
  const lower = written.toLowerCase();
  if (net.isIPv4(lower)) return { host: lower, literal: 4 };
  const labels = lower.split('.');
  // WHATWG reads a name ending in a number as an IPv4 address in any base (http://2130706433/,
  // http://0x7f.1/), curl and getaddrinfo too, each in its own way: only a.b.c.d is taken.
  if (NUMERIC_LABEL.test(labels.at(-1)!))
    throw new RefusedDestination('form', `write an IPv4 address as four decimal numbers (not ${written})`);
  if (lower.length > 253 || !labels.every((label) => LABEL.test(label))) {
    throw new RefusedDestination('form', `invalid host name ${written} (no trailing dot, no empty label)`);
  }
  return { host: lower, literal: 0 };
}

/** IPv6 global unicast (RFC 4291): ipaddr.js calls any address outside its table unicast, the IPv4-compatible ::a.b.c.d too. */
const GLOBAL_UNICAST_V6 = ipaddr.parseCIDR('2000::/3');

/** Why `address` is not public (a special-purpose range or this host's), or undefined when it is. Pure. */
export function addressRefusal(address: string, ownAddresses: ReadonlySet<string>): string | undefined {
  if (!net.isIP(address) || address.includes('%')) return `${address} is not an IP address`;
  const ip = ipaddr.process(address); // an IPv4-mapped IPv6 address is checked as the IPv4 address it carries
  const range = ip.range();
  if (range !== 'unicast') return `${address} is in a special-purpose range (${range})`;
  if (ip.kind() === 'ipv6' && !ip.match(GLOBAL_UNICAST_V6))
    return `${address} is outside IPv6 global unicast (2000::/3)`;
  if (ownAddresses.has(ip.toString())) return `${address} is this host's own`;
  return undefined;
}

/** Every address of this host's interfaces, as addressRefusal compares them. */
export function interfaceAddresses(
  interfaces: NodeJS.Dict<os.NetworkInterfaceInfo[]> = os.networkInterfaces(),
): Set<string> {
  const own = new Set<string>();
  for (const info of Object.values(interfaces).flat()) {
    if (info && net.isIP(info.address)) own.add(ipaddr.process(info.address).toString());
  }
  return own;
}

export type Lookup = (host: string) => Promise<string[]>;
const systemLookup: Lookup = async (host) =>
  (await dnsLookup(host, { all: true, verbatim: true })).map((a) => a.address);

/**
 * Reads `text` (parseDestinationUrl) and resolves its host once; every address must be public.
 * Throws RefusedDestination. The client must then be given `url` and connect only to the
 * addresses returned (git: a curl resolve entry; Node's http: a `lookup` option answering
 * with them) and follow no redirect without checking its target the same way.
 */
export async function resolvePublicDestination(
  text: string,
  options: { protocols: readonly DestinationProtocol[]; lookup?: Lookup; ownAddresses?: ReadonlySet<string> },
): Promise<PublicDestination> {
  const destination = parseDestinationUrl(text, options.protocols);
  let addresses: string[];
  if (destination.literal) {
    addresses = [destination.host];
  } else {
    try {
      addresses = await (options.lookup ?? systemLookup)(destination.host);
    } catch {
      throw new RefusedDestination('address', `${destination.host} could not be resolved`);
    }
    if (addresses.length === 0) throw new RefusedDestination('address', `${destination.host} has no address`);
  }
  const own = options.ownAddresses ?? interfaceAddresses();
  for (const address of addresses) {
    const refusal = addressRefusal(address, own);
    if (refusal) throw new RefusedDestination('address', refusal);
  }
  return { ...destination, addresses };
}
