/**
 * Postgres, Redis and MariaDB services, as Dokku's plugins have them: names, containers and their
 * lifecycle, links to apps, passwords, and backups. Each job has its own file; this is the
 * surface the rest of Slipway uses.
 */
export { SERVICE_KINDS, type ServiceKind } from './kinds.js';
export {
  allServiceKinds,
  parseServiceName,
  requireService,
  serviceHost,
  serviceNameMissing,
  serviceUrl,
} from './names.js';
export {
  attachLinkedApps,
  ensureServiceImage,
  execInService,
  serviceImage,
  serviceLogs,
  serviceStatus,
} from './containers.js';
export {
  createService,
  destroyService,
  exposeService,
  restartService,
  reviveServices,
  startRecordedService,
} from './lifecycle.js';
export { rotateServicePassword } from './passwords.js';
export { attemptRows, serviceBackups, serviceJson } from './listing.js';
export { configForRollback, linkService, unlinkService } from './links.js';
export { BACKUP_DIR, backupPath, backupService, listBackups, type BackupFile } from './local-backups.js';
export {
  backupAttempts,
  backupSettingsIn,
  readBackupSettings,
  SERVICE_BACKUPS_DIR,
  serviceBackupSettings,
  serviceBackupStores,
  updateBackupSettings,
  type BackupAttempt,
  type BackupSettingsStore,
} from './backup-settings.js';
export { checkPassphrase, decryptStream, encryptStream, HEADER_BYTES, MAGIC, openHeader } from './backup-crypto.js';
export { bucketClient, downloadStream, measuring, readAll, storeVerified, uploadLeftBy } from './bucket.js';
export {
  backupRefused,
  backupToBucket,
  cleanUpInterruptedBackups,
  ENCRYPTION_FORMAT,
  findBackup,
  forgetInterrupted,
  latestInBucket,
  newBackupId,
  maskedAuth,
  parseBackupAuth,
  parseBackupSchedule,
  parseBucket,
  restoreFromBucket,
} from './offsite-backups.js';
export { keepBackupSchedules, type ScheduledBackup } from './backup-schedules.js';
export { forkService, keepBaseBackups, recoveryStatus, setRetention, type RecoveryStatus } from './pitr.js';
export { parseRecoveryTime, windowText } from './pitr-plan.js';
export { DEFAULT_RETENTION_DAYS } from './pitr-archive.js';
