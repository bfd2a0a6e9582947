/**
 * The API shapes the panel reads: the API's own types from src/api (the schemas the server
 * validates with and documents in /api/v1/openapi.json). Type imports only, so nothing of zod or
 * of the server reaches the bundle; the layering check (.dependency-cruiser.cjs) keeps it so.
 */
import type { DeployLog } from '../../src/api/streams';

export type { Application, ApplicationList, ApplicationVersion, ApplicationVersionList, CreateApplicationBody, PollResult } from '../../src/api/applications';
export type { CreateSiteBody, Site, SiteCreated, SiteList, UpdateSiteBody, VersionSites } from '../../src/api/sites';
export type { AppHook, AppHookAnswer, AppHookStatus, Notification, NotificationList, UpdateApplicationAnswer, UpdateApplicationBody } from '../../src/api/app-notifications';
export type { HerdPlan, HerdSiteEvents, HerdUpgrade, HerdUpgradeBody, HerdUpgradeList } from '../../src/api/herds';
export type { ConfigHistory, EnvironmentConfigChanged, ResolvedConfig } from '../../src/api/config';
export type { DeploymentInProject, EnvironmentStatus, ProjectStatus, PromotionStarted, ScaleStarted, Started } from '../../src/api/deploy';
export type { GitBuildDetail, GitBuildInfo, GitBuildResult, GitSourceInfo } from '../../src/api/git';
export type { Delivery, DeliveryList, FollowingEnvironment, HookAnswer, HookStatus } from '../../src/api/webhooks';
export type { Deleted } from '../../src/api/common';
export type { CreateEnvironmentBody, CreateProjectBody, Environment, EnvironmentList, Project, ProjectList } from '../../src/api/projects';
export type { AddMemberBody, AddedMember, CreateTokenBody, CreatedToken, Member, MemberList, MemberRemoved, SetMemberRoleBody, Token, TokenList } from '../../src/api/members';
export type { KeyDiff, Promotion, PromotionList, PromotionPreview } from '../../src/api/promotions';
export type { CredentialList, CredentialRemoved, GcBody, GcReport, Image, ImageList, RegistryCredential, RegistryPolicy } from '../../src/api/registry';
export type { CreateInstanceTokenBody, CreatedInstanceToken, InstanceToken, InstanceTokenList } from '../../src/api/instance';
export type { BuildResult, ImportResult } from '../../src/api/images';
export type { AuditList, Release, ReleaseList } from '../../src/api/releases';
export type { EnvironmentSecretSet, SecretList } from '../../src/api/secrets';
export type { CreateServerBody, JoinTokenInfo, ServerInfo, ServerList, ServerMetrics, ServerMetricsHistory } from '../../src/api/servers';
export type { BackupScheduleBody, BackupScheduleInfo, BackupScheduleState } from '../../src/api/backup-schedules';
export type { AttachBody, AttachmentChange, AttachmentInfo, AttachmentList, BackupBody, BackupInfo, BackupList, CreateServiceBody, DetachBody, RemovedService, RestoreBody, RestoreResult, ServiceBackupInfo, ServiceBackupList, ServiceDetail, ServiceInfo, ServiceList, UpgradeBody, UpgradeInfo, UpgradeResult } from '../../src/api/services';
export type { EnvironmentSettings, EnvironmentSettingsView, SettingsChangeBody, SettingsChanged } from '../../src/api/settings';
export type { DeployEnd, DeployLog, DeploymentChange, RuntimeEnd, RuntimeLine, ServiceChange, StreamError, UpgradeChange, VolumeChange, WorkspaceChange as Change } from '../../src/api/streams';
export type { CreateWorkspaceBody, Whoami, Workspace, WorkspaceList, WorkspaceUpdated } from '../../src/api/workspaces';
export type { VolumeBackupInfo, VolumeBackupList, VolumeBackupScheduleBody, VolumeBackupScheduleState, VolumeRestoreInfo } from '../../src/api/volumes';
export type { ManifestJobInfo, PipelineRunInfo, PipelineScheduleInfo, PipelineScheduleList, ProjectManifest, RunEnd, RunList, RunLog, RunTriggered } from '../../src/api/pipelines';

/** A deploy log line as the panel keeps it: the event's data and its sequence number (the SSE id). */
export type LogLine = DeployLog & { seq: number };
