/**
 * Slipway's own state (its database, the apps' repositories, certificates, the SSH host key,
 * services' backup records): backed up into one archive, and restored on a new host, which
 * then brings every app and service back. A folder of its own, beside services/: it backs up
 * the host, not a service, though it reuses the services' backup settings, encryption and
 * upload.
 */
export {
  backupState,
  stateBackupSchedule,
  stateBackupSettings,
  stateBackupStore,
  type StateBackupTarget,
} from './backup.js';
export { parseRestoreSource, restoreState, type RestoreSource } from './restore.js';
