import { AppStore } from './apps.js';
import { openDb } from './db.js';
import { DeployStore } from './deploys.js';
import { KeyStore } from './keys.js';
import { ReleaseStore } from './releases.js';

export type { AppRecord } from './apps.js';
export type { DeployRecord } from './deploys.js';
export type { SshKeyRecord } from './keys.js';
export type { ReleaseRecord } from './releases.js';

/** Everything that must survive a restart, in one SQLite database. */
export function openState(file: string) {
  const db = openDb(file);
  return {
    apps: new AppStore(db),
    keys: new KeyStore(db),
    releases: new ReleaseStore(db),
    deploys: new DeployStore(db),
    close: () => db.close(),
  };
}

export type State = ReturnType<typeof openState>;
