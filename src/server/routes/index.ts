/** Every API route, in the order the OpenAPI document lists them. */
import type { Route } from '../http/route.js';
import { applicationRoutes } from './applications.js';
import { appNotificationRoutes } from './app-notifications.js';
import { configRoutes } from './config.js';
import { instanceRoutes } from './instance.js';
import { memberRoutes } from './members.js';
import { projectRoutes } from './projects.js';
import { credentialRoutes } from './credentials.js';
import { imageRoutes } from './images.js';
import { settingsRoutes } from './settings.js';
import { deployRoutes } from './deploy.js';
import { registryRoutes } from './registry.js';
import { releaseRoutes } from './releases.js';
import { secretRoutes } from './secrets.js';
import { serverRoutes } from './servers.js';
import { serviceBackupRoutes } from './service-backups.js';
import { backupScheduleRoutes } from './backup-schedules.js';
import { serviceRoutes } from './services.js';
import { workspaceRoutes } from './workspaces.js';
import { gitRoutes } from './git.js';
import { webhookRoutes } from './webhooks.js';
import { pipelineRoutes } from './pipelines.js';
import { herdRoutes } from './herds.js';
import { siteRoutes } from './sites.js';
import { volumeRoutes } from './volumes.js';

export const apiRoutes: readonly Route[] = [...workspaceRoutes, ...instanceRoutes, ...memberRoutes, ...projectRoutes, ...configRoutes, ...secretRoutes, ...releaseRoutes, ...registryRoutes, ...imageRoutes, ...credentialRoutes, ...settingsRoutes, ...deployRoutes, ...serviceRoutes, ...serviceBackupRoutes, ...backupScheduleRoutes, ...serverRoutes, ...applicationRoutes, ...appNotificationRoutes, ...siteRoutes, ...gitRoutes, ...webhookRoutes, ...pipelineRoutes, ...herdRoutes, ...volumeRoutes];
