/**
 * The database schema as Kysely types: one schema for SQLite and PostgreSQL.
 *
 * Portable column types only (see docs/adr/0002-one-schema-two-engines.md): ids are text
 * (prefixed, time-ordered), timestamps are ISO-8601 UTC text, booleans are integers 0/1, JSON is
 * text. Later migrations add tables for the registry, deploys and agents.
 *
 * @module
 */
import type { Kysely, Transaction } from 'kysely';

export interface MetaTable {
  key: string;
  value: string;
}

export interface UsersTable {
  id: string;
  email: string;
  name: string;
  instance_admin: number;
  created_at: string;
}

export interface WorkspacesTable {
  id: string;
  name: string;
  tier: string;
  created_at: string;
  updated_at: string;
}

export interface MembersTable {
  workspace_id: string;
  user_id: string;
  role: string;
  /** The member's display name in this workspace (never another workspace's name for them). */
  name: string | null;
  created_at: string;
}

export interface TokensTable {
  id: string;
  /** Null for an instance token (acts as its user in every workspace the user belongs to). */
  workspace_id: string | null;
  user_id: string;
  /** Null for an instance token. */
  role: string | null;
  name: string;
  hint: string;
  hash: string;
  created_at: string;
  created_by: string | null;
  expires_at: string | null;
  revoked_at: string | null;
  last_used_at: string | null;
}

export interface ProjectsTable {
  id: string;
  workspace_id: string;
  name: string;
  /** The newest config version of any layer of this project (a per-project counter). */
  config_version: number;
  created_at: string;
}

export interface EnvironmentsTable {
  id: string;
  project_id: string;
  name: string;
  kind: string;
  created_at: string;
}

/**
 * One immutable version of a config layer; `environment_id` null is the project base layer.
 * `kind` full: `data` is the whole layer; delta: `data` holds the added and changed keys and
 * `changes.removed` the removed ones (core/config-versions.ts).
 */
export interface ConfigLayersTable {
  id: string;
  project_id: string;
  environment_id: string | null;
  version: number;
  kind: string;
  data: string;
  /** JSON {added, changed, removed}: the keys this version changed (the history's source). */
  changes: string;
  created_at: string;
  created_by: string | null;
}

/** One immutable version of a secret; `envelope` null marks a deletion. */
export interface SecretsTable {
  id: string;
  workspace_id: string;
  project_id: string;
  environment_id: string | null;
  /** The environment id, or `base` for the project layer (NULL-free for the unique key). */
  scope: string;
  name: string;
  version: number;
  envelope: string | null;
  created_at: string;
  created_by: string | null;
}

export interface ReleasesTable {
  id: string;
  workspace_id: string;
  project_id: string;
  environment_id: string;
  number: number;
  image_digest: string;
  version_tag: string | null;
  config_version: number;
  secret_versions: string;
  /** JSON: attachment id → credential generation the release ran with. */
  service_credentials: string;
  /** JSON `[{ name, path }]`: the environment's volumes the release mounts (core/volumes.ts). */
  volumes: string;
  status: string;
  trigger: string;
  actor_user_id: string | null;
  actor_token_id: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  message: string | null;
}

export interface AuditEventsTable {
  id: string;
  workspace_id: string | null;
  at: string;
  actor_user_id: string | null;
  actor_token_id: string | null;
  action: string;
  target_type: string;
  target: string;
  details: string;
}

export interface RegistryRepositoriesTable {
  id: string;
  /** `<workspace>/<project>`. */
  name: string;
  workspace_id: string;
  project_id: string;
  /** Retention: how many newest versions to keep (older ones are untagged, then collected). */
  keep_versions: number;
  /** JSON array of tag patterns (`*` wildcard) that can be neither moved nor deleted. */
  protected_tags: string;
  created_at: string;
}

/** The content-addressed blob index (bytes on the filesystem). */
export interface RegistryBlobsTable {
  digest: string;
  size: number;
  created_at: string;
}

/** A repository may read a blob: pushed, mounted, or written by the builder there. */
export interface RegistryRepoBlobsTable {
  repository_id: string;
  digest: string;
  linked_at: string;
}

export interface RegistryManifestsTable {
  repository_id: string;
  digest: string;
  media_type: string;
  size: number;
  /** The manifest plus every blob it names (what an image costs to pull). */
  total_size: number;
  artifact_type: string | null;
  subject_digest: string | null;
  annotations: string | null;
  created_at: string;
}

/** What a manifest refers to: `blob` (config, layers) or `manifest` (an index's entries). */
export interface RegistryManifestRefsTable {
  repository_id: string;
  manifest_digest: string;
  child_digest: string;
  kind: string;
}

export interface RegistryTagsTable {
  repository_id: string;
  tag: string;
  digest: string;
  created_at: string;
  updated_at: string;
}

/** A version tag the builder or an import wrote: it names this digest for good. */
export interface RegistryImmutableTagsTable {
  repository_id: string;
  tag: string;
  digest: string;
  created_at: string;
}

export interface RegistryUploadsTable {
  id: string;
  repository_id: string;
  size: number;
  started_at: string;
  updated_at: string;
}

/** Credentials for other registries (base images, imports); the password is an envelope. */
export interface RegistryCredentialsTable {
  id: string;
  workspace_id: string;
  host: string;
  username: string;
  envelope: string;
  created_at: string;
  updated_at: string;
}

/** A base image reference resolved once and kept in the built-in registry. */
export interface RegistryBaseCacheTable {
  workspace_id: string;
  reference: string;
  manifest_digest: string;
  repository_id: string;
  fetched_at: string;
}

/** An environment's runtime settings, as JSON of what was set (core/deploy.ts has the defaults). */
export interface EnvironmentSettingsTable {
  environment_id: string;
  data: string;
  updated_at: string;
}

/** A custom domain of an environment; the primary key keeps it unique across the instance. */
export interface DomainsTable {
  domain: string;
  environment_id: string;
  workspace_id: string;
  created_at: string;
}

/** A deploy operation: desired release, progress, owner lease and heartbeat. */
export interface DeploymentsTable {
  id: string;
  workspace_id: string;
  project_id: string;
  environment_id: string;
  release_id: string;
  release_number: number;
  /** queued → running → succeeded | failed. */
  status: string;
  phase: string;
  owner: string | null;
  lease_until: string | null;
  created_at: string;
  started_at: string | null;
  heartbeat_at: string | null;
  finished_at: string | null;
  error: string | null;
  /** `release`: roll out a new release; `scale`: change the replicas of the release that runs. */
  kind: string;
  /** Grows at every claim; writes of an owner whose fence is stale change nothing. */
  fence: number;
  /** The rollout's progress as JSON (deploy/rollout-state.ts). */
  state: string;
  phase_started_at: string | null;
  /** The placement (target name) it runs on. */
  target: string;
  /** The deployment that superseded this one (a rollback or `deploy --supersede` while it ran). */
  superseded_by: string | null;  /** When log retention removed its log lines (`server --keep-logs`); null: they are all there. */
  logs_pruned_at: string | null;
}

/** What the engine last saw of an environment's running release. */
export interface EnvironmentObservedTable {
  environment_id: string;
  release_number: number | null;
  desired: number;
  running: number;
  ready: number;
  message: string | null;
  observed_at: string;
}

/** One line of a deploy's log; `seq` is the SSE event id. */
export interface DeployEventsTable {
  deployment_id: string;
  seq: number;
  at: string;
  level: string;
  step: string;
  message: string;
}

/** A release watched by its environment's health gate after its switch (deploy/health-gate.ts). */
export interface HealthGatesTable {
  id: string;
  workspace_id: string;
  project_id: string;
  environment_id: string;
  /** The deployment that switched traffic to the release. */
  deployment_id: string;
  release_number: number;
  /** baking | passed | failed | cancelled. */
  status: string;
  /** JSON HealthGate (core/gates.ts) as it was when the bake started. */
  config: string;
  /** Requests measured (real traffic and probes) and of those failed. */
  requests: number;
  errors: number;
  /** Of the requests: the gate's own probes. */
  probes: number;
  replicas: number;
  ready: number | null;
  not_ready_since: string | null;
  started_at: string;
  finished_at: string | null;
  reason: string | null;
  /** The rollback a failed gate started. */
  rollback_deployment_id: string | null;
  owner: string | null;
  lease_until: string | null;
  fence: number;
}

export interface PromotionsTable {
  id: string;
  workspace_id: string;
  project_id: string;
  from_environment_id: string;
  to_environment_id: string;
  from_release: number;
  image_digest: string;
  version_tag: string | null;
  /** pending-approval | approved | rejected | deploying | succeeded | failed. */
  status: string;
  requested_by_user: string | null;
  requested_by_token: string | null;
  decided_by_user: string | null;
  decided_at: string | null;
  reason: string | null;
  deployment_id: string | null;
  created_at: string;
  /** promotion | deploy | rollback. */
  kind: string;
}

import type { ServicesTable, ServiceAttachmentsTable, ServiceCredentialsTable, ProvisionedServicesTable, ServiceBackupsTable, ServiceBackupSchedulesTable, CustomServicesTable, ServiceUpgradesTable, ScheduleColumns } from './schema-services.js';
import type { ServersTable, ServerJoinTokensTable, ServerDesiredTable } from './schema-servers.js';
import type { ApplicationHooksTable, ApplicationNotificationsTable, ApplicationsTable, ApplicationVersionsTable, HerdSiteEventsTable, HerdUpgradeSitesTable, HerdUpgradesTable, SitesTable } from './schema-apps.js';
import type { GitSourcesTable, GitBuildsTable } from './schema-git.js';
import type { ProjectManifestsTable, PipelineRunsTable, PipelineRunJobsTable, PipelineRunLogsTable, PipelineSchedulesTable } from './schema-pipelines.js';

export type { ServicesTable, ServiceAttachmentsTable, ServiceCredentialsTable, ProvisionedServicesTable, ServiceBackupsTable, ServiceBackupSchedulesTable, CustomServicesTable, ServiceUpgradesTable } from './schema-services.js';
export type { ServersTable, ServerJoinTokensTable, ServerDesiredTable } from './schema-servers.js';
export type { ApplicationHooksTable, ApplicationNotificationsTable, ApplicationsTable, ApplicationVersionsTable, HerdSiteEventsTable, HerdUpgradeSitesTable, HerdUpgradesTable, SitesTable } from './schema-apps.js';
export type { GitSourcesTable, GitBuildsTable } from './schema-git.js';
import type { ProjectHooksTable, WebhookDeliveriesTable, EnvironmentSourcesTable } from './schema-webhooks.js';
export type { ProjectHooksTable, WebhookDeliveriesTable, EnvironmentSourcesTable } from './schema-webhooks.js';
export type { ProjectManifestsTable, PipelineRunsTable, PipelineRunJobsTable, PipelineRunLogsTable, PipelineSchedulesTable } from './schema-pipelines.js';

/** A volume's backup schedule (at most one per volume of an environment; gone with the environment). */
export interface VolumeBackupSchedulesTable extends ScheduleColumns {
  id: string;
  workspace_id: string;
  environment_id: string;
  volume: string;
}

/** Every table, by name. */
/** A backup of an environment's volume (the file: `volume-backups/<environment id>/<file>` in the data directory). */
export interface VolumeBackupsTable {
  id: string;
  workspace_id: string;
  environment_id: string;
  /** The volume's name in the environment. */
  volume: string;
  /** The generation of the Docker volume it was read from. */
  generation: number;
  /** Bytes of the tar (after the file's header). */
  size: number;
  /** SHA-256 (hex) of the tar. */
  sha256: string;
  /** The release that ran when it was taken (its image read the volume). */
  release_number: number | null;
  /** What made it: `manual` (by hand), `upgrade` (a herd upgrade's backup step) or `move` (env set --copy-volumes). */
  trigger: string;
  created_at: string;
  created_by: string | null;
  file: string;
}

export interface Database {
  slipway_meta: MetaTable;
  users: UsersTable;
  workspaces: WorkspacesTable;
  members: MembersTable;
  tokens: TokensTable;
  projects: ProjectsTable;
  environments: EnvironmentsTable;
  config_layers: ConfigLayersTable;
  secrets: SecretsTable;
  releases: ReleasesTable;
  audit_events: AuditEventsTable;
  registry_repositories: RegistryRepositoriesTable;
  registry_blobs: RegistryBlobsTable;
  registry_repo_blobs: RegistryRepoBlobsTable;
  registry_manifests: RegistryManifestsTable;
  registry_manifest_refs: RegistryManifestRefsTable;
  registry_tags: RegistryTagsTable;
  registry_immutable_tags: RegistryImmutableTagsTable;
  registry_uploads: RegistryUploadsTable;
  registry_credentials: RegistryCredentialsTable;
  registry_base_cache: RegistryBaseCacheTable;
  environment_settings: EnvironmentSettingsTable;
  domains: DomainsTable;
  deployments: DeploymentsTable;
  environment_observed: EnvironmentObservedTable;
  deploy_events: DeployEventsTable;
  promotions: PromotionsTable;
  health_gates: HealthGatesTable;
  services: ServicesTable;
  service_attachments: ServiceAttachmentsTable;
  service_credentials: ServiceCredentialsTable;
  provisioned_services: ProvisionedServicesTable;
  service_backups: ServiceBackupsTable;
  volume_backups: VolumeBackupsTable;
  volume_backup_schedules: VolumeBackupSchedulesTable;
  service_backup_schedules: ServiceBackupSchedulesTable;
  custom_services: CustomServicesTable;
  service_upgrades: ServiceUpgradesTable;
  servers: ServersTable;
  server_join_tokens: ServerJoinTokensTable;
  server_desired: ServerDesiredTable;
  applications: ApplicationsTable;
  application_versions: ApplicationVersionsTable;
  sites: SitesTable;
  herd_upgrades: HerdUpgradesTable;
  herd_upgrade_sites: HerdUpgradeSitesTable;
  herd_site_events: HerdSiteEventsTable;
  application_notifications: ApplicationNotificationsTable;
  application_hooks: ApplicationHooksTable;
  git_sources: GitSourcesTable;
  git_builds: GitBuildsTable;
  project_hooks: ProjectHooksTable;
  webhook_deliveries: WebhookDeliveriesTable;
  environment_sources: EnvironmentSourcesTable;
  project_manifests: ProjectManifestsTable;
  pipeline_runs: PipelineRunsTable;
  pipeline_schedules: PipelineSchedulesTable;
  pipeline_run_jobs: PipelineRunJobsTable;
  pipeline_run_logs: PipelineRunLogsTable;
}

/** The typed query layer every context uses (the store's port). */
export type Db = Kysely<Database>;
/** A transaction, or the database itself: what a function that may run inside one accepts. */
export type Executor = Kysely<Database> | Transaction<Database>;
