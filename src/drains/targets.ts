import fs from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import tls from 'node:tls';
import { errorMessage, UserError } from '../core/errors.js';
import { withTimeout } from '../core/process.js';
import {
  parseDestinationUrl,
  RefusedDestination,
  resolvePublicDestination,
  type DestinationProtocol,
  type DestinationUrl,
} from '../core/public-destination.js';
import { ndjsonBodies } from './ndjson.js';
import type { DrainRecord } from './records.js';
import { formatSyslog, frameOctetCounted } from './syslog.js';

/** What a drain may send to: syslog over TCP or TLS, and HTTPS (batched NDJSON), as Heroku's drains. */
export const DRAIN_PROTOCOLS: readonly DestinationProtocol[] = ['syslog+tls', 'syslog', 'https'];

const SEND_TIMEOUT_MS = 30_000;
const CONNECT_TIMEOUT_MS = 10_000;
/** One POST carries at most this much NDJSON. */
export const MAX_POST_BYTES = 1024 * 1024;
const HOST_CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';

/** What a tenant is told of a destination refused for where it leads: nothing that maps the network. */
export const NOT_PUBLIC = 'unreachable, refused, or not a public address (tenants may drain to public addresses only)';

/**
 * Reads a drain URL a caller gave, or throws a UserError. A key other than an admin's names
 * a public destination only, as with git:sync: checked now, and again at every connection
 * (the drain is `confined`), where the name's checked addresses are the only ones used.
 */
export async function checkDrainUrl(text: string, confined: boolean): Promise<DestinationUrl> {
  try {
    const url = parseDestinationUrl(text, DRAIN_PROTOCOLS);
    if (url.protocol !== 'https' && !/^[a-z+]+:\/\/[^/]+\/?$/.test(text))
      throw new RefusedDestination(
        'form',
        'a syslog drain is syslog://HOST:PORT or syslog+tls://HOST:PORT, with no path',
      );
    if (confined) await resolvePublicDestination(text, { protocols: DRAIN_PROTOCOLS });
    return url;
  } catch (error) {
    if (!(error instanceof RefusedDestination)) throw error;
    if (error.kind === 'form') throw new UserError(`Invalid drain URL ${text.slice(0, 200)}: ${error.message}`);
    throw new UserError(`Drain ${text.slice(0, 200)} is ${NOT_PUBLIC}`);
  }
}

/** Delivers records to one drain; a failure throws, and the next send starts a new connection. */
export interface Transport {
  /** Whether a send that succeeded was received (HTTPS answers), or only written to the connection (syslog). */
  readonly confirms: boolean;
  send(records: DrainRecord[]): Promise<void>;
  /** The connection sends go on now, while it lasts (a number of its own), or undefined when there is none. */
  connection(): number | undefined;
  close(): void;
}

export interface TransportOptions {
  url: string;
  /** Check the destination again at each connection and use only the addresses checked. */
  confined: boolean;
  /** A PEM file of certificates to trust besides the host's (SLIPWAY_LOG_DRAIN_CA_FILE). */
  extraCaFile: string | undefined;
}

export function transportFor(options: TransportOptions): Transport {
  const url = parseDestinationUrl(options.url, DRAIN_PROTOCOLS);
  return url.protocol === 'https' ? new HttpsTransport(url, options) : new SyslogTransport(url, options);
}

/** The host's CA bundle (as curl and git trust it), else Node's, and the extra file when set. */
function trustedCas(extraCaFile: string | undefined): string[] {
  const host = fs.existsSync(HOST_CA_BUNDLE) ? [fs.readFileSync(HOST_CA_BUNDLE, 'utf8')] : [...tls.rootCertificates];
  return extraCaFile ? [...host, fs.readFileSync(extraCaFile, 'utf8')] : host;
}

/** Where to connect: the checked addresses of a confined drain, else the name as it is. */
async function addressesOf(url: DestinationUrl, options: TransportOptions): Promise<string[] | undefined> {
  if (!options.confined) return undefined;
  try {
    return (await resolvePublicDestination(options.url, { protocols: DRAIN_PROTOCOLS })).addresses;
  } catch (error) {
    if (error instanceof RefusedDestination) throw new Error(`${url.host} is ${NOT_PUBLIC}`, { cause: error });
    throw error;
  }
}

/** RFC 5424 messages, octet-counted, on one kept TCP (or TLS) connection. */
class SyslogTransport implements Transport {
  readonly confirms = false;
  private socket: net.Socket | undefined;
  private connections = 0;
  private readonly hostname = os.hostname();

  constructor(
    private readonly url: DestinationUrl,
    private readonly options: TransportOptions,
  ) {}

  async send(records: DrainRecord[]): Promise<void> {
    const socket = this.socket ?? (await this.connect());
    const data = Buffer.concat(records.map((r) => frameOctetCounted(formatSyslog(r, this.hostname))));
    const written = new Promise<void>((resolve, reject) =>
      socket.write(data, (error) => (error ? reject(error) : resolve())),
    );
    await withTimeout(written, SEND_TIMEOUT_MS, () => new Error('the drain took no data for 30 s'));
  }

  connection(): number | undefined {
    return this.socket ? this.connections : undefined;
  }

  close(): void {
    this.socket?.destroy();
    this.socket = undefined;
  }

  private async connect(): Promise<net.Socket> {
    const host = (await addressesOf(this.url, this.options))?.[0] ?? this.url.host;
    const tlsOptions = {
      ca: trustedCas(this.options.extraCaFile),
      ...(this.url.literal ? {} : { servername: this.url.host }),
    };
    const socket =
      this.url.protocol === 'syslog+tls'
        ? tls.connect({ host, port: this.url.port, ...tlsOptions })
        : net.connect({ host, port: this.url.port });
    await withTimeout(
      new Promise<void>((resolve, reject) => {
        socket.once(this.url.protocol === 'syslog+tls' ? 'secureConnect' : 'connect', () => resolve());
        socket.once('error', reject);
      }),
      CONNECT_TIMEOUT_MS,
      () => new Error(`no connection to ${this.url.host}:${this.url.port} within 10 s`),
    ).catch((error: unknown) => {
      socket.destroy();
      throw error;
    });
    socket.setKeepAlive(true, 30_000);
    socket.resume(); // a syslog server says nothing; whatever it says is not kept
    // A server that closes or fails ends this connection: the next batch opens another.
    const forget = () => {
      if (this.socket === socket) this.socket = undefined;
      socket.destroy();
    };
    socket.on('error', forget).on('end', forget).on('close', forget);
    this.socket = socket;
    this.connections++;
    return socket;
  }
}

/** NDJSON POSTs: a 2xx answer is delivery, anything else a failure to try again. */
class HttpsTransport implements Transport {
  readonly confirms = true;
  private agent: https.Agent | undefined;

  constructor(
    private readonly url: DestinationUrl,
    private readonly options: TransportOptions,
  ) {}

  async send(records: DrainRecord[]): Promise<void> {
    const addresses = await addressesOf(this.url, this.options);
    for (const body of ndjsonBodies(records, MAX_POST_BYTES)) await this.post(body, addresses);
  }

  connection(): undefined {
    return undefined;
  }

  close(): void {
    this.agent?.destroy();
    this.agent = undefined;
  }

  private post(body: Buffer, addresses: string[] | undefined): Promise<void> {
    // A confined drain's name resolves to the addresses checked, and to nothing else.
    const lookup: net.LookupFunction | undefined = addresses
      ? (_host, options, callback) => {
          const all = addresses.map((address) => ({ address, family: net.isIPv6(address) ? 6 : 4 }));
          if ((options as { all?: boolean }).all) (callback as (e: null, a: typeof all) => void)(null, all);
          else callback(null, all[0]!.address, all[0]!.family);
        }
      : undefined;
    return new Promise((resolve, reject) => {
      const request = https.request(
        this.url.url,
        {
          method: 'POST',
          // A confined drain's connection is not kept: the next POST checks the name again.
          agent: addresses
            ? false
            : (this.agent ??= new https.Agent({
                keepAlive: true,
                maxSockets: 1,
                ca: trustedCas(this.options.extraCaFile),
              })),
          ...(addresses ? { ca: trustedCas(this.options.extraCaFile), lookup } : {}),
          headers: {
            'content-type': 'application/x-ndjson',
            'content-length': body.length,
            'user-agent': 'slipway-log-drain',
          },
          timeout: SEND_TIMEOUT_MS,
        },
        (response) => {
          response.resume();
          const status = response.statusCode ?? 0;
          if (status >= 200 && status < 300) resolve();
          else reject(new Error(`the drain answered HTTP ${status}`));
        },
      );
      request.on('timeout', () => request.destroy(new Error('the drain did not answer within 30 s')));
      request.on('error', (error) => reject(new Error(errorMessage(error))));
      request.end(body);
    });
  }
}
