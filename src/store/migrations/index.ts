/**
 * Every migration, in order. The same list runs on SQLite and PostgreSQL.
 *
 * @module
 */
import type { Migration, MigrationProvider } from 'kysely';
import * as core from './0001-core.js';
import * as registry from './0002-registry.js';
import * as deploy from './0003-deploy.js';
import * as registryHardening from './0004-registry-hardening.js';
import * as tenancyHardening from './0005-tenancy-hardening.js';
import * as engine from './0006-engine.js';
import * as services from './0007-services.js';
import * as provisionedServices from './0008-provisioned-services.js';
import * as serviceBackups from './0009-service-backups.js';
import * as customServicesUpgrades from './0010-custom-services-upgrades.js';
import * as servers from './0011-servers.js';
import * as pipelines from './0012-pipelines.js';
import * as gitSources from './0013-git-sources.js';
import * as webhooks from './0014-webhooks.js';
import * as healthGates from './0015-health-gates.js';
import * as applications from './0016-applications.js';
import * as herds from './0017-herds.js';
import * as appHooks from './0018-app-hooks.js';
import * as herdSiteDeployments from './0019-herd-site-deployments.js';
import * as continuousOptions from './0020-continuous-options.js';
import * as serviceBackupOrigin from './0021-service-backup-origin.js';
import * as logsPruned from './0022-logs-pruned.js';
import * as backupSchedules from './0025-backup-schedules.js';
import * as pipelineSchedules from './0026-pipeline-schedules.js';
import * as releaseVolumes from './0027-release-volumes.js';
import * as manifestReview from './0028-manifest-review.js';
import * as schedulePause from './0029-schedule-pause.js';
import * as manifestReviewedText from './0030-manifest-reviewed-text.js';
import * as volumeBackups from './0031-volume-backups.js';
import * as volumeBackupTrigger from './0032-volume-backup-trigger.js';
import * as volumeBackupSchedules from './0033-volume-backup-schedules.js';

const all: Record<string, Migration> = {
  '0001-core': core,
  '0002-registry': registry,
  '0003-deploy': deploy,
  '0004-registry-hardening': registryHardening,
  '0005-tenancy-hardening': tenancyHardening,
  '0006-engine': engine,
  '0007-services': services,
  '0008-provisioned-services': provisionedServices,
  '0009-service-backups': serviceBackups,
  '0010-custom-services-upgrades': customServicesUpgrades,
  '0011-servers': servers,
  '0012-pipelines': pipelines,
  '0013-git-sources': gitSources,
  '0014-webhooks': webhooks,
  '0015-health-gates': healthGates,
  '0016-applications': applications,
  '0017-herds': herds,
  '0018-app-hooks': appHooks,
  '0019-herd-site-deployments': herdSiteDeployments,
  '0020-continuous-options': continuousOptions,
  '0021-service-backup-origin': serviceBackupOrigin,
  '0022-logs-pruned': logsPruned,
  '0025-backup-schedules': backupSchedules,
  '0026-pipeline-schedules': pipelineSchedules,
  '0027-release-volumes': releaseVolumes,
  '0028-manifest-review': manifestReview,
  '0029-schedule-pause': schedulePause,
  '0030-manifest-reviewed-text': manifestReviewedText,
  '0031-volume-backups': volumeBackups,
  '0032-volume-backup-trigger': volumeBackupTrigger,
  '0033-volume-backup-schedules': volumeBackupSchedules,
};

/** Kysely's migration provider over the static list above (no filesystem scanning). */
export const migrationProvider: MigrationProvider = {
  getMigrations: async () => all,
};
