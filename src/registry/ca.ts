import fs from 'node:fs';
import path from 'node:path';
import { renameDurably } from '../core/files.js';
import { runProgram } from '../core/process.js';

/**
 * The certificate authority Slipway makes for its cluster: it signs the image registry's
 * certificate, and every node trusts it for that registry alone (Docker's certs.d), so no
 * public CA and no `insecure-registries` are needed. Made with openssl, kept in `dir`.
 */
export class ClusterCa {
  constructor(private readonly dir: string) {}

  get certFile(): string {
    return path.join(this.dir, 'ca.crt');
  }

  private get keyFile(): string {
    return path.join(this.dir, 'ca.key');
  }

  /** The CA's certificate (PEM), made on first use. */
  async certificate(): Promise<string> {
    if (!fs.existsSync(this.certFile)) await this.make();
    return fs.readFileSync(this.certFile, 'utf8');
  }

  private async make(): Promise<void> {
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    await madeInPlace({ key: this.keyFile, cert: this.certFile }, (temp) =>
      openssl([
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '3650',
        '-subj',
        '/CN=Slipway cluster CA',
        '-addext',
        'basicConstraints=critical,CA:TRUE',
        '-addext',
        'keyUsage=critical,keyCertSign,cRLSign',
        '-keyout',
        temp.key,
        '-out',
        temp.cert,
      ]),
    );
  }

  /**
   * A server certificate for `host` (an IP address or a DNS name), signed by the CA, written
   * as `<name>.crt` and `<name>.key` in `outDir`, valid 825 days (what clients accept).
   */
  async issueServerCertificate(host: string, outDir: string, name: string): Promise<{ cert: string; key: string }> {
    await this.certificate();
    fs.mkdirSync(outDir, { recursive: true, mode: 0o700 });
    const [cert, key, csr, ext] = ['crt', 'key', 'csr', 'ext'].map((suffix) =>
      path.join(outDir, `${name}.${suffix}`),
    ) as [string, string, string, string];
    const altName = /^[\d.]+$|:/.test(host) ? `IP:${host}` : `DNS:${host}`;
    fs.writeFileSync(ext, `subjectAltName=${altName}\nextendedKeyUsage=serverAuth\n`);
    try {
      await madeInPlace({ key, cert }, async (temp) => {
        await openssl([
          'req',
          '-newkey',
          'ec',
          '-pkeyopt',
          'ec_paramgen_curve:prime256v1',
          '-nodes',
          '-subj',
          `/CN=${host}`,
          '-keyout',
          temp.key,
          '-out',
          csr,
        ]);
        await openssl([
          'x509',
          '-req',
          '-in',
          csr,
          '-CA',
          this.certFile,
          '-CAkey',
          this.keyFile,
          '-CAcreateserial',
          '-days',
          '825',
          '-extfile',
          ext,
          '-out',
          temp.cert,
        ]);
      });
    } finally {
      fs.rmSync(csr, { force: true });
      fs.rmSync(ext, { force: true });
    }
    return { cert, key };
  }
}

/**
 * A key and its certificate, made by `make` under temporary names and then put in place as
 * writeAtomically does: the key (root only) first, so the certificate is there only once
 * the key is.
 */
async function madeInPlace(
  files: { key: string; cert: string },
  make: (temp: { key: string; cert: string }) => Promise<void>,
): Promise<void> {
  const temp = { key: `${files.key}.${process.pid}.tmp`, cert: `${files.cert}.${process.pid}.tmp` };
  try {
    await make(temp);
    fs.chmodSync(temp.key, 0o600);
    renameDurably(temp.key, files.key);
    renameDurably(temp.cert, files.cert);
  } finally {
    for (const file of Object.values(temp)) fs.rmSync(file, { force: true });
  }
}

async function openssl(args: string[]): Promise<void> {
  const made = await runProgram('openssl', args);
  if (made.code !== 0) throw new Error(`openssl ${args[0]} failed: ${made.stderr.trim()}`);
}
