import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseJson } from './json.js';
import { eventually } from './slipway.js';

export interface Received {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A webhook receiver in the test's process: what it was sent, by path; it answers 200. */
export class Receiver {
  readonly received: Received[] = [];
  private server?: http.Server;

  async listen(port = 0): Promise<number> {
    this.server = http.createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        this.received.push({ path: request.url ?? '', headers: request.headers, body });
        response.end('ok');
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    return (this.server.address() as AddressInfo).port;
  }

  /** The first event of this kind sent to `urlPath` (that `matches`, when given), once it came. */
  async event(
    urlPath: string,
    type: string,
    timeoutMs = 60_000,
    matches: (event: Record<string, unknown>) => boolean = () => true,
  ): Promise<Received & { event: Record<string, unknown> }> {
    const find = () =>
      this.received.find(
        (r) =>
          r.path === urlPath &&
          r.headers['slipway-event'] === type &&
          matches(parseJson<Record<string, unknown>>(r.body)),
      );
    const found = await eventually(
      async () => find(),
      (r) => r !== undefined,
      timeoutMs,
    );
    if (!found)
      throw new Error(
        `no ${type} reached ${urlPath}; got ${this.received.map((r) => r.headers['slipway-event']).join(', ')}`,
      );
    return { ...found, event: parseJson<Record<string, unknown>>(found.body) };
  }

  /** The kinds of event sent to `urlPath` so far, in order. */
  types(urlPath: string): string[] {
    return this.received.filter((r) => r.path === urlPath).map((r) => String(r.headers['slipway-event']));
  }

  close(): void {
    this.server?.close();
  }
}

/** What a receiver does with Slipway-Signature (README): HMAC-SHA256 of "<t>.<body>" under the secret, in constant time. */
export function signedBy(secret: string, received: Received): boolean {
  const header = String(received.headers['slipway-signature']);
  const fields = Object.fromEntries(header.split(',').map((part) => part.split('=') as [string, string]));
  const expected = createHmac('sha256', secret).update(`${fields.t}.${received.body}`).digest();
  const given = Buffer.from(fields.v1 ?? '', 'hex');
  return (
    given.length === expected.length &&
    timingSafeEqual(given, expected) &&
    Math.abs(Date.now() / 1000 - Number(fields.t)) < 300
  );
}
