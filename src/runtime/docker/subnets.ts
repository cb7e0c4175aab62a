/**
 * Pure: which IPv4 subnet a new network gets. Every app and service has a network of its
 * own, and Docker's default pools hold only about 30, so Slipway hands out subnets of a
 * pool of its own (SLIPWAY_NETWORK_POOL), skipping any range already in use.
 */

/** An IPv4 range as numbers: [first, last] address. */
interface Range {
  first: number;
  last: number;
}

const IPV4_CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

/** `10.224.0.0/12` as a range; undefined for anything that is not an IPv4 CIDR. */
export function parseCidr(cidr: string): Range | undefined {
  const match = IPV4_CIDR.exec(cidr.trim());
  if (!match) return undefined;
  const octets = match.slice(1, 5).map(Number);
  const prefix = Number(match[5]);
  if (octets.some((o) => o > 255) || prefix > 32) return undefined;
  const address = octets.reduce((sum, octet) => sum * 256 + octet, 0);
  const size = 2 ** (32 - prefix);
  const first = address - (address % size);
  return { first, last: first + size - 1 };
}

const formatAddress = (address: number) =>
  [24, 16, 8, 0].map((shift) => Math.floor(address / 2 ** shift) % 256).join('.');

/**
 * The first subnet of `prefix` bits inside `pool` that overlaps none of `taken` (subnets of
 * other networks, the host's own addresses), or undefined when the pool is full. The taken
 * ranges are sorted once and the candidates swept past them, so a host of thousands of
 * networks picks in time linear in them (not the candidates times the taken ones).
 */
export function freeSubnet(pool: string, prefix: number, taken: string[]): string | undefined {
  const range = parseCidr(pool);
  if (!range) throw new Error(`${pool} is not an IPv4 network (like 10.224.0.0/12)`);
  const size = 2 ** (32 - prefix);
  if (size > range.last - range.first + 1) throw new Error(`${pool} is smaller than one /${prefix} network`);
  const busy = taken.flatMap((cidr) => parseCidr(cidr) ?? []).sort((a, b) => a.first - b.first);
  let first = range.first;
  for (const b of busy) {
    if (first + size - 1 > range.last) return undefined;
    if (b.last < first) continue; // wholly before the candidate
    if (b.first > first + size - 1) break; // this one and every later one start after it
    first += Math.ceil((b.last + 1 - first) / size) * size; // the first candidate past it
  }
  return first + size - 1 <= range.last ? `${formatAddress(first)}/${prefix}` : undefined;
}
