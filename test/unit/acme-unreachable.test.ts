import net from 'node:net';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { UserError } from '../../src/core/errors.js';
import { unreachableCause } from '../../src/core/network.js';
import { enableLetsencrypt, setLetsencryptProperty } from '../../src/letsencrypt/index.js';
import { GLOBAL_SCOPE } from '../../src/state/index.js';
import { eachTest, unitPlatform } from '../support/fakes.js';
import { freePort } from '../support/ports.js';

// An ACME server that cannot be reached fails letsencrypt:enable (and a renewal) at once,
// naming the server and why, instead of after a minute of retries with no cause.

const fixture = eachTest(() => unitPlatform({}, { settings: { acmeTimeoutMs: 1000 } }));
const servers: net.Server[] = [];

beforeEach(() => {
  fixture.platform.state.apps.create('shop');
  setLetsencryptProperty(fixture.platform, GLOBAL_SCOPE, 'email', 'ops@example.test');
});

afterEach(() => {
  for (const server of servers.splice(0)) server.close();
});

const enable = async (server: string) => {
  setLetsencryptProperty(fixture.platform, GLOBAL_SCOPE, 'server', server);
  return enableLetsencrypt(fixture.platform, 'shop', () => {}).then(
    () => undefined,
    (error: unknown) => error,
  );
};

test('a closed port: connection refused, naming the server', async () => {
  const server = `https://127.0.0.1:${await freePort()}/dir`;
  const error = await enable(server);
  expect(error).toBeInstanceOf(UserError);
  expect((error as Error).message).toBe(
    `Cannot reach the ACME server ${server}: connection refused (nothing listens there)`,
  );
});

test('a server that never answers: no answer within the timeout', async () => {
  const silent = net.createServer((socket) => socket.on('error', () => {}));
  servers.push(silent);
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const server = `https://127.0.0.1:${(silent.address() as net.AddressInfo).port}/dir`;
  const error = await enable(server);
  expect((error as Error).message).toBe(`Cannot reach the ACME server ${server}: no answer within 1 s`);
  silent.close();
});

test('socket errors are told in words, whatever wraps them', () => {
  const dns = Object.assign(new Error('getaddrinfo ENOTFOUND acme.invalid'), { code: 'ENOTFOUND' });
  expect(unreachableCause(new TypeError('fetch failed', { cause: dns }), 1000)).toBe(
    'its host name does not resolve (DNS)',
  );
  expect(unreachableCause(Object.assign(new Error('x'), { code: 'EAI_AGAIN' }), 1000)).toBe(
    'its host name could not be resolved now (DNS)',
  );
  expect(unreachableCause(new Error('something else'), 1000)).toBe('something else');
});
