import { describe, expect, test } from 'vitest';
import {
  addressRefusal,
  interfaceAddresses,
  parseDestinationUrl,
  RefusedDestination,
  resolvePublicDestination,
  type Lookup,
  type PublicDestination,
} from '../../src/core/public-destination.js';
import { gitOptionsPinnedTo } from '../../src/git/sync.js';
import { stringMatching } from '../support/matchers.js';

const HTTPS = ['https'] as const;
const refusal = (run: () => unknown): RefusedDestination | undefined => {
  try {
    run();
  } catch (error) {
    if (error instanceof RefusedDestination) return error;
    throw error;
  }
  return undefined;
};

describe('a destination URL is read once, in a form every parser reads the same way', () => {
  test.each([
    // [url, canonical URL given to the client, host, literal, port]
    ['https://example.com/r.git', 'https://example.com/r.git', 'example.com', 0, 443],
    ['https://Example.COM/Team/r.git', 'https://example.com/Team/r.git', 'example.com', 0, 443],
    ['https://example.com', 'https://example.com/', 'example.com', 0, 443],
    ['https://git.example.com:8443/a/b.git', 'https://git.example.com:8443/a/b.git', 'git.example.com', 0, 8443],
    ['https://example.com:443/r.git', 'https://example.com/r.git', 'example.com', 0, 443],
    ['https://xn--bcher-kva.example/r', 'https://xn--bcher-kva.example/r', 'xn--bcher-kva.example', 0, 443],
    ['https://1example.com/r', 'https://1example.com/r', '1example.com', 0, 443],
    ['https://93.184.216.34/r.git', 'https://93.184.216.34/r.git', '93.184.216.34', 4, 443],
    ['https://[2606:2800:220:1::1]:444/r', 'https://[2606:2800:220:1::1]:444/r', '2606:2800:220:1::1', 6, 444],
    ['https://[2606:2800:0220:0001:0:0:0:1]/r', 'https://[2606:2800:220:1::1]/r', '2606:2800:220:1::1', 6, 443],
    ['https://[::ffff:127.0.0.1]/r', 'https://[::ffff:7f00:1]/r', '::ffff:7f00:1', 6, 443],
    // `@` after the first `/` is in the path for every parser.
    ['https://example.com/a@127.0.0.1/r', 'https://example.com/a@127.0.0.1/r', 'example.com', 0, 443],
    ['https://example.com/~u/r%20x.git', 'https://example.com/~u/r%20x.git', 'example.com', 0, 443],
    ['https://example.com/a/%2e%2e/r.git', 'https://example.com/r.git', 'example.com', 0, 443],
  ])('%s is read as %s', (text, url, host, literal, port) => {
    expect(parseDestinationUrl(text, HTTPS)).toEqual({ url, protocol: 'https', host, literal, port });
  });

  test.each([
    // WHATWG ends the host at `\`, curl takes `1.2.3.4\` as a user name: the host would be 127.0.0.1 for git.
    'https://1.2.3.4\\@127.0.0.1:8080/r.git',
    'https://1.2.3.4\\/r.git',
    'https://example.com\\r.git',
    // user names and passwords, and `@` where parsers disagree on which one ends them
    'https://user@example.com/r.git',
    'https://user:pw@example.com/r.git',
    'https://a@b@example.com/r.git',
    'https://@example.com/r.git',
    'https://example.com@127.0.0.1/r.git',
    'https://example.com:443@127.0.0.1/r.git',
    // percent-encoded or otherwise odd hosts
    'https://%31%32%37.0.0.1/r.git',
    'https://ex%61mple.com/r.git',
    'https://[fe80::1%25eth0]/r.git',
    'https://exa_mple.com/r.git',
    'https://bücher.example/r.git',
    // a query, a fragment, or characters parsers encode differently
    'https://example.com/r.git?x=1',
    'https://example.com/r.git#main',
    'https://example.com/r git',
    'https://example.com/r"git',
    'https://example.com/r<git>',
    'https://example.com/r%zz',
    'https://example.com/r%4',
    'https://example.com:/r.git',
    'https:/example.com/r.git',
    'https:///example.com/r.git',
    'HTTPS://example.com/r.git',
    'https://example.com/\nr.git',
    ` https://example.com/r.git`,
    `https://example.com/${'a'.repeat(2000)}`,
    '',
  ])('%j is refused for its form', (text) => {
    expect(refusal(() => parseDestinationUrl(text, HTTPS))?.kind).toBe('form');
  });

  test.each([
    // IPv4 addresses that are not four decimal numbers: each parser reads them its own way
    ['https://2130706433/r.git', /four decimal numbers/],
    ['https://0x7f000001/r.git', /four decimal numbers/],
    ['https://0x7f.1/r.git', /four decimal numbers/],
    ['https://0177.0.0.1/r.git', /four decimal numbers/],
    ['https://127.1/r.git', /four decimal numbers/],
    ['https://1.2.3/r.git', /four decimal numbers/],
    ['https://127.0.0.1./r.git', /invalid host name|four decimal/],
    ['https://256.1.1.1/r.git', /four decimal numbers/],
    ['https://example.0x1/r.git', /four decimal numbers/],
    ['https://example.123/r.git', /four decimal numbers/],
    // names curl and DNS may read apart from WHATWG, or that are no names
    ['https://example.com./r.git', /trailing dot/],
    ['https://a..b/r.git', /empty label/],
    ['https://.example.com/r.git', /invalid host name/],
    ['https://-a.example.com/r.git', /invalid host name/],
    ['https://a-.example.com/r.git', /invalid host name/],
    [`https://${'a'.repeat(64)}.example/r.git`, /invalid host name/],
    [`https://${'abcdefghi.'.repeat(26)}example/r.git`, /invalid host name/],
    ['https://[::1/r.git', /give the URL as/],
    ['https://[1.2.3.4]/r.git', /invalid IPv6/],
    ['https://[::g]/r.git', /give the URL as/],
    ['https://[1:2:3:4:5:6:7:8:9]/r.git', /invalid IPv6|invalid host/],
    // ports
    ['https://example.com:0/r.git', /invalid port/],
    ['https://example.com:0443/r.git', /invalid port/],
    ['https://example.com:65536/r.git', /invalid port/],
    ['https://example.com:123456/r.git', /give the URL as/],
  ])('%s is refused: %s', (text, message) => {
    const refused = refusal(() => parseDestinationUrl(text, HTTPS));
    expect(refused?.kind).toBe('form');
    expect(refused?.message).toMatch(message);
  });

  test('only the protocols asked for are taken', () => {
    expect(refusal(() => parseDestinationUrl('http://example.com/r.git', HTTPS))?.message).toBe(
      'http:// URLs are not accepted here (only https://)',
    );
    for (const other of [
      'ssh://example.com/r.git',
      'git://example.com/r.git',
      'file:///srv/r.git',
      'ftp://example.com/r',
    ]) {
      expect(refusal(() => parseDestinationUrl(other, HTTPS))?.kind).toBe('form');
    }
    expect(parseDestinationUrl('http://example.com/r.git', ['https', 'http'])).toMatchObject({
      protocol: 'http',
      port: 80,
      url: 'http://example.com/r.git',
    });
  });
});

describe('an address is public when no special-purpose range and none of this host holds it', () => {
  const none = new Set<string>();
  test.each([
    ['93.184.216.34'],
    ['8.8.8.8'],
    ['1.1.1.1'],
    ['100.63.255.255'],
    ['100.128.0.0'],
    ['172.15.255.255'],
    ['172.32.0.0'],
    ['198.17.255.255'],
    ['198.20.0.0'],
    ['223.255.255.254'],
    ['2606:2800:220:1::1'],
    ['2a00:1450:4001::200e'],
    ['3ffe::8'],
    ['::ffff:93.184.216.34'],
    ['::ffff:5db8:d822'],
  ])('%s is public', (address) => {
    expect(addressRefusal(address, none)).toBeUndefined();
  });

  test.each([
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'linkLocal'],
    ['100.64.0.1', 'carrierGradeNat'],
    ['100.127.255.255', 'carrierGradeNat'],
    ['192.0.0.8', 'reserved'],
    ['192.0.2.2', 'reserved'],
    ['198.18.0.1', 'reserved'],
    ['198.19.255.255', 'reserved'],
    ['198.51.100.7', 'reserved'],
    ['203.0.113.9', 'reserved'],
    ['240.0.0.1', 'reserved'],
    ['255.255.255.255', 'broadcast'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['192.88.99.1', 'reserved'],
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['fe80::1', 'linkLocal'],
    ['fc00::1', 'uniqueLocal'],
    ['fd00::2', 'uniqueLocal'],
    ['ff02::1', 'multicast'],
    ['fec0::1', 'deprecatedSiteLocal'],
    ['100::1', 'discard'],
    ['2001:db8::1', 'reserved'],
    ['2001::1', 'teredo'],
    ['64:ff9b::7f00:1', 'rfc6052'],
    ['64:ff9b::a00:1', 'rfc6052'],
    ['64:ff9b:1::1', 'rfc6052'],
    ['2002:7f00:1::1', '6to4'],
    ['::ffff:0:7f00:1', 'rfc6145'],
    // mapped addresses are checked as the IPv4 address they carry, in either spelling
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:10.0.0.1', 'private'],
    ['::FFFF:A9FE:A9FE', 'linkLocal'],
    // ipaddr.js reads the IPv4-compatible ::a.b.c.d written with dots as that IPv4 address
    ['::127.0.0.1', 'loopback'],
  ])('%s is refused (%s)', (address, range) => {
    expect(addressRefusal(address, none)).toBe(`${address} is in a special-purpose range (${range})`);
  });

  test.each([['::7f00:1'], ['::a00:1'], ['4000::1'], ['1::1'], ['e000::1']])(
    '%s is refused: not IPv6 global unicast',
    (address) => {
      expect(addressRefusal(address, none)).toBe(`${address} is outside IPv6 global unicast (2000::/3)`);
    },
  );

  test.each([
    ['example.com'],
    ['2130706433'],
    ['0x7f.1'],
    ['127.1'],
    ['0177.0.0.1'],
    [''],
    ['fe80::1%eth0'],
    ['[::1]'],
  ])('%j is not an address', (address) => {
    expect(addressRefusal(address, none)).toBe(`${address} is not an IP address`);
  });

  test("this host's own addresses, in every spelling, are refused", () => {
    const own = interfaceAddresses({
      lo: [
        {
          address: '127.0.0.1',
          netmask: '255.0.0.0',
          family: 'IPv4',
          mac: '00:00:00:00:00:00',
          internal: true,
          cidr: '127.0.0.1/8',
        },
      ],
      eth0: [
        {
          address: '93.184.216.34',
          netmask: '255.255.255.0',
          family: 'IPv4',
          mac: '02:00:00:00:00:01',
          internal: false,
          cidr: '93.184.216.34/24',
        },
        {
          address: '2606:2800:220:0001::1',
          netmask: 'ffff:ffff:ffff:ffff::',
          family: 'IPv6',
          mac: '02:00:00:00:00:01',
          internal: false,
          cidr: null,
          scopeid: 0,
        },
      ],
      eth1: [
        {
          address: '::ffff:8.8.4.4',
          netmask: '::',
          family: 'IPv6',
          mac: '02:00:00:00:00:02',
          internal: false,
          cidr: null,
          scopeid: 0,
        },
      ],
    });
    for (const address of [
      '93.184.216.34',
      '::ffff:93.184.216.34',
      '::ffff:5db8:d822',
      '2606:2800:220:1::1',
      '2606:2800:220:1:0:0:0:1',
      '8.8.4.4',
    ]) {
      expect(addressRefusal(address, own), address).toBe(`${address} is this host's own`);
    }
    expect(addressRefusal('93.184.216.35', own)).toBeUndefined();
    expect(addressRefusal('2606:2800:220:1::2', own)).toBeUndefined();
  });

  test("this machine's own interfaces are read by default", () => {
    const own = interfaceAddresses();
    expect(own.has('127.0.0.1')).toBe(true);
    for (const address of own) expect(addressRefusal(address, own)).toBeDefined();
  });
});

describe('a destination is resolved once and every address checked', () => {
  const own = new Set(['93.184.216.40']);
  const dns: Record<string, string[]> = {
    'example.com': ['93.184.216.34', '2606:2800:220:1::1'],
    'rebind.example': ['93.184.216.34', '127.0.0.1'],
    'mapped.example': ['::ffff:10.0.0.1'],
    'nat64.example': ['64:ff9b::7f00:1'],
    'self.example': ['93.184.216.40'],
    'empty.example': [],
  };
  const lookup: Lookup = async (host) => {
    const addresses = dns[host];
    if (!addresses) throw new Error(`getaddrinfo ENOTFOUND ${host}`);
    return addresses;
  };
  const resolve = (url: string) => resolvePublicDestination(url, { protocols: HTTPS, lookup, ownAddresses: own });

  test('a public name gives every address it resolved to, for the client to be pinned to', async () => {
    expect(await resolve('https://Example.com:8443/r.git')).toEqual({
      url: 'https://example.com:8443/r.git',
      protocol: 'https',
      host: 'example.com',
      literal: 0,
      port: 8443,
      addresses: ['93.184.216.34', '2606:2800:220:1::1'],
    });
  });

  test('an address written in the URL is its only address, and is checked as any other', async () => {
    expect((await resolve('https://93.184.216.34/r.git')).addresses).toEqual(['93.184.216.34']);
    expect((await resolve('https://[2606:2800:220:1::1]/r.git')).addresses).toEqual(['2606:2800:220:1::1']);
    for (const url of [
      'https://127.0.0.1/r',
      'https://[::1]/r',
      'https://[::ffff:127.0.0.1]/r',
      'https://[::ffff:7f00:1]/r',
      'https://[64:ff9b::7f00:1]/r',
      'https://[2002:7f00:1::]/r',
      'https://198.18.0.1/r',
      'https://93.184.216.40/r',
      'https://[::ffff:93.184.216.40]/r',
    ]) {
      await expect(resolve(url), url).rejects.toMatchObject({ kind: 'address' });
    }
  });

  test.each([
    ['rebind.example', /127\.0\.0\.1 is in a special-purpose range/],
    ['mapped.example', /\(private\)/],
    ['nat64.example', /\(rfc6052\)/],
    ['self.example', /this host's own/],
    ['empty.example', /has no address/],
    ['nowhere.example', /could not be resolved/],
  ])('%s is refused when any of its addresses is not public, or it has none', async (host, message) => {
    await expect(resolve(`https://${host}/r.git`)).rejects.toMatchObject({
      kind: 'address',
      message: stringMatching(message),
    });
  });

  test('a URL refused for its form is not looked up', async () => {
    let looked = 0;
    const counting: Lookup = async (host) => {
      looked++;
      return lookup(host);
    };
    await expect(
      resolvePublicDestination('https://example.com\\@127.0.0.1/r', {
        protocols: HTTPS,
        lookup: counting,
        ownAddresses: own,
      }),
    ).rejects.toMatchObject({ kind: 'form' });
    expect(looked).toBe(0);
  });
});

describe("git is held to a tenant's checked destination", () => {
  const base = [
    '-c',
    'http.followRedirects=false',
    '-c',
    'http.proxy=',
    '-c',
    'credential.helper=',
    '-c',
    'http.curloptResolve=',
  ];
  test('a name is pinned to every address checked, IPv6 ones in brackets', () => {
    const destination: PublicDestination = {
      url: 'https://example.com:8443/r.git',
      protocol: 'https',
      host: 'example.com',
      literal: 0,
      port: 8443,
      addresses: ['93.184.216.34', '2606:2800:220:1::1'],
    };
    expect(gitOptionsPinnedTo(destination)).toEqual([
      ...base,
      '-c',
      'http.curloptResolve=example.com:8443:93.184.216.34,[2606:2800:220:1::1]',
    ]);
  });

  test('an IPv4 address written in the URL is pinned too; an IPv6 one is its own address (curl takes no pin for it)', () => {
    expect(
      gitOptionsPinnedTo({
        url: 'https://93.184.216.34/r',
        protocol: 'https',
        host: '93.184.216.34',
        literal: 4,
        port: 443,
        addresses: ['93.184.216.34'],
      }),
    ).toEqual([...base, '-c', 'http.curloptResolve=93.184.216.34:443:93.184.216.34']);
    expect(
      gitOptionsPinnedTo({
        url: 'https://[2606:2800:220:1::1]/r',
        protocol: 'https',
        host: '2606:2800:220:1::1',
        literal: 6,
        port: 443,
        addresses: ['2606:2800:220:1::1'],
      }),
    ).toEqual(base);
  });
});
