import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import type { DomainEvent } from '../../src/events/domain.js';
import { keepCertificatesFresh, setLetsencryptProperty } from '../../src/letsencrypt/index.js';
import { storeCertificate } from '../../src/proxy/certs.js';
import { backupToBucket, parseBackupAuth, updateBackupSettings } from '../../src/services/index.js';
import { allServiceKinds } from '../../src/services/names.js';
import { backupState, stateBackupSettings } from '../../src/state-backup/index.js';
import { webhookBody } from '../../src/webhooks/body.js';
import { webhookWants } from '../../src/webhooks/filter.js';
import { eachTest, MemoryLocks, unitPlatform } from '../support/fakes.js';
import { S3_KEY, startS3 } from '../support/s3.js';
import { writeSelfSigned } from '../support/tls.js';

// Certificates and backups tell what became of them as events, whoever was watching: what
// the daemon's checks and the backup functions publish, and which webhooks those go to.

const fixture = eachTest(() => unitPlatform({ locks: new MemoryLocks() }));
let told: DomainEvent[];

beforeEach(() => {
  told = [];
  fixture.platform.events.subscribe((event) => told.push(event));
});

const ofTypes = (...types: string[]) => told.filter((e) => types.includes(e.type));
const quietLog = () => {};

/** A self-signed certificate for the app, valid for `days` more days, installed as certs:add does. */
async function installCertificate(app: string, days: number): Promise<void> {
  const dir = fs.mkdtempSync(path.join(fixture.platform.settings.dataDir, 'cert-'));
  const [certFile, keyFile] = [path.join(dir, 'c.pem'), path.join(dir, 'k.pem')];
  await writeSelfSigned({ cert: certFile, key: keyFile }, [`${app}.example.test`], days);
  storeCertificate(
    fixture.platform.settings.certsDir,
    app,
    fs.readFileSync(certFile, 'utf8'),
    fs.readFileSync(keyFile, 'utf8'),
  );
}

describe('certificates', () => {
  test('a Let’s Encrypt renewal that fails is cert.renewal_failed; a certificate with under 14 days left is cert.expiring, one with more is not', async () => {
    for (const app of ['shop', 'calm']) fixture.platform.state.apps.create(app);
    await installCertificate('shop', 5);
    await installCertificate('calm', 60);
    // shop renews from an authority that has no directory (its renewal is due: 30 days before expiry).
    const authority = http.createServer((_request, response) => response.writeHead(404).end('no directory here'));
    await new Promise<void>((resolve) => authority.listen(0, '127.0.0.1', resolve));
    fixture.platform.state.properties.set('shop', 'letsencrypt.enabled', 'true');
    setLetsencryptProperty(fixture.platform, 'shop', 'email', 'ops@example.test');
    const { port } = authority.address() as AddressInfo;
    fixture.platform.state.properties.set('shop', 'letsencrypt.server', `http://127.0.0.1:${port}/directory`);

    const checking = new AbortController();
    try {
      keepCertificatesFresh(fixture.platform, quietLog, checking.signal);
      await until(() => ofTypes('cert.expiring').length > 0);
    } finally {
      checking.abort();
      authority.close();
    }
    const [failed, expiring] = ofTypes('cert.renewal_failed', 'cert.expiring');
    expect(failed).toMatchObject({ type: 'cert.renewal_failed', app: 'shop' });
    expect((failed as { error: string }).error).toContain('The certificate authority refused the order');
    expect(expiring).toMatchObject({ type: 'cert.expiring', app: 'shop', days_left: 4 });
    expect(ofTypes('cert.renewal_failed', 'cert.expiring')).toHaveLength(2);

    // Both go to the app's webhooks for `cert`, and to global ones.
    for (const event of [failed!, expiring!]) {
      expect(webhookWants({ app: 'shop', events: ['cert'] }, event)).toBe(true);
      expect(webhookWants({ app: null, events: [] }, event)).toBe(true);
      expect(webhookWants({ app: 'calm', events: [] }, event)).toBe(false);
    }
    expect(JSON.parse(webhookBody(expiring!, 'slack'))).toEqual({
      text: `The certificate of shop expires in 4 days (${(expiring as { expires_at: string }).expires_at})`,
    });
  }, 30_000);
});

describe('off-site backups', () => {
  let s3: Awaited<ReturnType<typeof startS3>>;
  beforeAll(async () => {
    s3 = await startS3(['backups']);
  });
  afterAll(() => s3.stop());

  const auth = () => parseBackupAuth({ accessKeyId: S3_KEY, secret: S3_KEY, endpoint: s3.endpoint });

  test('of Slipway’s state: stored is backup.succeeded, a bucket that refuses it backup.failed; one into a directory is no event', async () => {
    stateBackupSettings(fixture.platform).update({ auth: auth() });
    const stored = await backupState(fixture.platform, { bucket: 'backups' }, quietLog);
    await expect(backupState(fixture.platform, { bucket: 'no-such-bucket' }, quietLog)).rejects.toThrow(
      'Backup of Slipway’s state to s3://no-such-bucket failed',
    );
    await backupState(fixture.platform, { dir: path.join(fixture.platform.settings.dataDir, 'here') }, quietLog);

    expect(ofTypes('backup.succeeded', 'backup.failed')).toEqual([
      expect.objectContaining({
        type: 'backup.succeeded',
        service: 'slipway state',
        bucket: 'backups',
        file: stored.key,
      }),
      expect.objectContaining({ type: 'backup.failed', service: 'slipway state', bucket: 'no-such-bucket' }),
    ]);
    expect(await s3.keys('backups')).toContain(stored.key);
  }, 30_000);

  test('one that cannot start for want of credentials is backup.failed too, for a service and for the state', async () => {
    const postgres = allServiceKinds.find((k) => k.kind === 'postgres')!;
    fixture.platform.state.services.create('postgres', 'db', 'password');
    const service = fixture.platform.state.services.get('postgres', 'db')!;
    await expect(backupToBucket(fixture.platform, postgres, service, 'backups', quietLog)).rejects.toThrow(
      'No backup credentials for db: set them with postgres:backup-auth',
    );
    await expect(backupState(fixture.platform, { bucket: 'backups' }, quietLog)).rejects.toThrow(
      'No backup credentials for Slipway’s state',
    );
    // With credentials, a bucket the server does not have: the attempt fails and says so.
    updateBackupSettings(fixture.platform, postgres, 'db', { auth: auth() });
    await expect(backupToBucket(fixture.platform, postgres, service, 'no-such-bucket', quietLog)).rejects.toThrow(
      'Backup of db to no-such-bucket failed',
    );

    const failed = ofTypes('backup.failed', 'backup.succeeded');
    expect(failed).toEqual([
      expect.objectContaining({
        type: 'backup.failed',
        service: 'postgres db',
        bucket: 'backups',
        error: 'No backup credentials for db: set them with postgres:backup-auth',
      }),
      expect.objectContaining({ type: 'backup.failed', service: 'slipway state', bucket: 'backups' }),
      expect.objectContaining({ type: 'backup.failed', service: 'postgres db', bucket: 'no-such-bucket' }),
    ]);
    // Backups concern no app: global webhooks get them, an app's do not.
    for (const event of failed) {
      expect(webhookWants({ app: null, events: ['backup.failed'] }, event)).toBe(true);
      expect(webhookWants({ app: 'shop', events: [] }, event)).toBe(false);
    }
  }, 30_000);
});

async function until(condition: () => boolean): Promise<void> {
  for (let waited = 0; !condition(); waited += 50) {
    if (waited > 20_000) throw new Error('not within 20 s');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
