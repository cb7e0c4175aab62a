import { AccessStore } from './access.js';
import { AppStore } from './apps.js';
import { ConfigStore } from './config.js';
import { PropertyStore } from './properties.js';
import { ServiceStore } from './services.js';
import { openDb, replaceDb } from './db.js';
import { DeployStore } from './deploys.js';
import { KeyStore } from './keys.js';
import { ReleaseStore } from './releases.js';
import { TokenStore } from './tokens.js';
import { WebhookStore } from './webhooks.js';

export type { AppRecord, Formation } from './apps.js';
export { GLOBAL_SCOPE, type Env } from './config.js';
export { NewerSchemaError } from './db.js';
export type { DeployRecord } from './deploys.js';
export type { SshKeyRecord } from './keys.js';
export type { ReleaseKind, ReleaseRecord } from './releases.js';
export type { TokenRecord, TokenScope } from './tokens.js';
export type { WebhookDelivery, WebhookRecord } from './webhooks.js';
export type { LinkRecord, ServiceRecord } from './services.js';

/** Everything that must survive a restart, in one SQLite database. */
export function openState(file: string) {
  const db = openDb(file);
  return {
    apps: new AppStore(db),
    keys: new KeyStore(db),
    access: new AccessStore(db),
    releases: new ReleaseStore(db),
    config: new ConfigStore(db),
    properties: new PropertyStore(db),
    services: new ServiceStore(db),
    deploys: new DeployStore(db),
    tokens: new TokenStore(db),
    webhooks: new WebhookStore(db),
    /** A consistent copy of the whole database in `target`, taken while it is in use (SQLite's online backup). */
    snapshotTo: async (target: string): Promise<void> => void (await db.backup(target)),
    /** The database becomes the snapshot's copy (state:restore); see replaceDb. */
    replaceWith: (snapshot: string): Promise<void> => replaceDb(file, snapshot),
    close: () => db.close(),
  };
}

export type State = ReturnType<typeof openState>;
