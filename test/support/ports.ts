import net from 'node:net';

/** A TCP port nothing listens on right now on any address, chosen by the kernel. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, () => { // every address, IPv6 too: nginx listens on both
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
