import net from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { waitForListening, type CheckTarget } from '../../src/runtime/checks.js';

/**
 * The listening check over real sockets. A forwarder (docker-proxy on a published port) accepts
 * every connection and closes it at once while the process behind it is not listening yet: that
 * must not count as listening, or the checks after it fail on a reset.
 */
const servers: net.Server[] = [];
afterEach(() => servers.splice(0).forEach((server) => server.close()));

async function serve(onConnection: (socket: net.Socket) => void): Promise<number> {
  const server = net.createServer(onConnection);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as net.AddressInfo).port;
}

function target(port: number, forwarded: boolean): CheckTarget {
  const running = { running: true, restarting: false, restartCount: 0, exitCode: 0, ip: undefined, hostPorts: [] };
  return { ip: '127.0.0.1', port, host: 'app.test', forwarded, status: async () => running };
}

describe('waiting for a process to listen', () => {
  test('a forwarder that closes each connection is not a listening process', async () => {
    const port = await serve((socket) => socket.end());
    const outcome = await waitForListening(target(port, true), port, 600);
    expect(outcome).toEqual({ ok: false, reason: `nothing accepted connections on port ${port} within 0.6 s` });
  });

  test('a forwarder that resets each connection is not a listening process either', async () => {
    const port = await serve((socket) => socket.resetAndDestroy());
    expect((await waitForListening(target(port, true), port, 600)).ok).toBe(false);
  });

  test('through a forwarder, a connection that stays open is a listening process', async () => {
    const port = await serve(() => undefined);
    expect(await waitForListening(target(port, true), port, 600)).toEqual({ ok: true });
  });

  test('the forwarder starts passing connections on once the process listens', async () => {
    let listening = false;
    setTimeout(() => (listening = true), 400);
    const port = await serve((socket) => (listening ? undefined : socket.end()));
    expect(await waitForListening(target(port, true), port, 5000)).toEqual({ ok: true });
  });

  test('a direct connection counts as soon as it opens', async () => {
    const port = await serve((socket) => socket.end());
    expect(await waitForListening(target(port, false), port, 600)).toEqual({ ok: true });
  });
});
