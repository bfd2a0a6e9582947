/** The tables of services: adopted or provisioned servers, attachments, credentials, backups, custom services, upgrades (see src/store/schema.ts). */

/** A service: a server Slipway creates databases, users, vhosts or key prefixes on. */
export interface ServicesTable {
  id: string;
  workspace_id: string;
  name: string;
  kind: string;
  /** `adopted` or `provisioned` (run by Slipway: see ProvisionedServicesTable). */
  mode: string;
  /** Where the control plane reaches it. */
  host: string;
  port: number;
  /** Where workloads reach it (the connection variables' host and port). */
  workload_host: string;
  workload_port: number;
  /** The admin connection (JSON), sealed like a secret. */
  admin_envelope: string;
  server_version: string | null;
  created_at: string;
  created_by: string | null;
}

/** One environment's use of a service: its own database / vhost / key prefix. */
export interface ServiceAttachmentsTable {
  id: string;
  workspace_id: string;
  service_id: string;
  project_id: string;
  environment_id: string;
  /** Variable prefix (`--as`), '' for none. */
  prefix: string;
  /** `slw_<10 chars>`: the database, vhost or key prefix on the server. */
  resource: string;
  /** `attached`, or `detaching` (excluded from new releases; removed once none runs with it). */
  state: string;
  drop_data: number;
  /** The credential generation new releases get. */
  generation: number;
  created_at: string;
  created_by: string | null;
}

/** One generation of an attachment's credentials; the password is an envelope. */
export interface ServiceCredentialsTable {
  id: string;
  attachment_id: string;
  generation: number;
  username: string;
  envelope: string;
  /** `active`, `retiring` (revoked once no running release uses it), `revoked`. */
  state: string;
  created_at: string;
  revoked_at: string | null;
}

/** How Slipway runs a provisioned service: the workload, its pinned image, volume and network. */
export interface ProvisionedServicesTable {
  service_id: string;
  /** The placement (target) it runs on, e.g. `local`. */
  placement: string;
  /** What the workload runs: `host/workspace/project@sha256:…`. */
  image: string;
  image_digest: string;
  /** The project whose repository holds the image (its registry GC keeps the digest). */
  project_id: string;
  /** The registry repository the image is pulled from (`workspace/project`). */
  repository: string;
  workload: string;
  /** The named volume of its data (outlives the workload). */
  volume: string;
  /** The private network workloads of attached environments join. */
  network: string;
  memory_bytes: number | null;
  cpu_millis: number | null;
}

/** One logical backup of an attachment's data: a file under `<data-dir>/service-backups/<attachment id>/`. */
export interface ServiceBackupsTable {
  id: string;
  workspace_id: string;
  attachment_id: string;
  service_id: string;
  environment_id: string;
  kind: string;
  /** Bytes of the dump (after the file's header). */
  size: number;
  /** SHA-256 (hex) of the dump. */
  sha256: string;
  /** The environment's running release when it was taken. */
  release_number: number | null;
  created_at: string;
  created_by: string | null;
  /** The file name under the attachment's folder. */
  file: string;
  /** Where it was taken, as it was then (the attachment's row goes at detach; the backup stays): null on a row made before this was recorded whose environment was already gone. */
  project_name: string | null;
  environment_name: string | null;
  /** The attachment's variable prefix ('' for none). */
  prefix: string | null;
  /** The attachment's database, vhost or key prefix on the server. */
  resource: string | null;
  /** What made it: `manual` (by hand), `upgrade` (a herd or service upgrade), `schedule` (its attachment's backup schedule). */
  trigger: string;
}

/** What every backup schedule stores (an attachment's, a volume's): its expression, keep, next slot and the last slot's outcome. */
export interface ScheduleColumns {
  /** Five cron fields, UTC. */
  cron: string;
  /** How many scheduled backups stay (older scheduled ones are removed); null: every one. */
  keep: number | null;
  /** The next slot (ISO); a scheduler takes a due slot by moving this past it, conditional on the value it read. Null: the expression matches nothing any more. */
  next_at: string | null;
  /** The slot last taken (ISO) and what came of it: `running`, `ok` or `failed`. */
  last_slot: string | null;
  last_status: string | null;
  /** The server process that took it. */
  last_owner: string | null;
  last_started_at: string | null;
  last_finished_at: string | null;
  last_backup_id: string | null;
  last_error: string | null;
  created_at: string;
  created_by: string | null;
  updated_at: string;
}

/** An attachment's backup schedule (at most one; gone with the attachment). */
export interface ServiceBackupSchedulesTable extends ScheduleColumns {
  attachment_id: string;
  workspace_id: string;
  service_id: string;
  environment_id: string;
}

/** What a custom service (any image with a port, or a server at HOST:PORT) needs beyond its `services` row. */
export interface CustomServicesTable {
  service_id: string;
  /** The scheme of `<PREFIX>_URL` (e.g. `http`, `tcp`). */
  scheme: string;
  /** `tcp` or `http:/PATH` (provisioned: the target's readiness check). */
  health: string;
  /** Provisioned: where the named volume is mounted; null for none. */
  volume_path: string | null;
  /** JSON array of the names of the variables given at create (their values are in env_envelope). */
  env_names: string;
  /** Provisioned: the variables given at create (JSON object), sealed like a secret; null when none. */
  env_envelope: string | null;
}

/** One image upgrade of a provisioned service. */
export interface ServiceUpgradesTable {
  id: string;
  workspace_id: string;
  service_id: string;
  from_image: string;
  from_digest: string;
  to_image: string;
  to_digest: string;
  /** `running`, `succeeded`, `rolled-back` (the new image was not healthy; the previous one runs again), `failed` (not even the previous one came back), `interrupted` (the server stopped midway; the next one put the stored image back), `aborted` (a backup failed; nothing was changed). */
  status: string;
  /** JSON array of the ids of the backups taken before (service_backups). */
  backups: string;
  message: string | null;
  /** The server process running it (a `running` upgrade of another process is an orphan). */
  owner: string;
  started_at: string;
  finished_at: string | null;
  duration_ms: number | null;
  created_by: string | null;
}
