import fs from 'node:fs';
import net from 'node:net';

/**
 * Listens on a Unix socket only root can open (0600, in the daemon's 0700 run directory),
 * replacing one left by a daemon that died. With `allowHalfOpen`, a client that has sent all
 * its input (and half-closed) may still be answered; without, its end closes the connection.
 */
export function listenPrivately(socketPath: string, onConnection: (socket: net.Socket) => void, options: { allowHalfOpen?: boolean } = {}): Promise<net.Server> {
  fs.rmSync(socketPath, { force: true });
  const server = net.createServer({ allowHalfOpen: options.allowHalfOpen ?? false }, onConnection);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => {
      fs.chmodSync(socketPath, 0o600);
      resolve(server);
    });
  });
}
