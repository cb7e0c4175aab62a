import { randomInt } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';

/**
 * Where the kernel picks the local ports of outgoing connections and of `listen(0)`: a port
 * chosen there can be handed to a Redis client or another test between our check and the
 * daemon's bind (EADDRINUSE), so test ports come from below it.
 */
function ephemeralLow(): number {
  try {
    return Number(fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || 32768;
  } catch {
    return 32768;
  }
}
const LOWEST = 20_000;
const ABOVE = Math.max(LOWEST + 1000, ephemeralLow());

/**
 * A TCP port nothing listens on right now on any address, outside the kernel's ephemeral
 * range and chosen at random, so test files running side by side (each picking its own)
 * and the connections they make do not take each other's ports.
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = randomInt(LOWEST, ABOVE);
    if (await canListen(port)) return port;
  }
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, () => server.close(() => resolve(true))); // every address, IPv6 too: nginx listens on both
  });
}
