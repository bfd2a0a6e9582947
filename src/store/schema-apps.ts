/** The tables of applications: versioned products backed by a project, and their versions (see src/store/schema.ts). */

/** An application: a project's images, or an upstream repository's tags, as semantic versions. */
export interface ApplicationsTable {
  id: string;
  workspace_id: string;
  name: string;
  /** The project that holds its images (and, later, its sites). */
  project_id: string;
  /** `project` (versions are the project's semver tags) or `upstream` (imported from another registry). */
  source: string;
  /** `registry/repository` watched for tags; null for a project application. */
  upstream: string | null;
  /** Seconds between polls of the upstream; null for a project application. */
  poll_seconds: number | null;
  last_polled_at: string | null;
  /** Why the last poll failed (one line, never a remote body); null when it worked. */
  last_error: string | null;
  created_at: string;
  created_by: string | null;
  /** An outgoing webhook told of new versions and upgrades; null: none. */
  notify_url: string | null;
  /** Its HMAC key, sealed like a secret value; null: none. */
  notify_secret_envelope: string | null;
  /** How its automatic (continuous-policy) upgrades move, JSON; null: the defaults. */
  continuous_options: string | null;
}

/** One version of an application: a semver tag and the digest it names (immutable once recorded). */
export interface ApplicationVersionsTable {
  application_id: string;
  tag: string;
  digest: string;
  discovered_at: string;
}

/** A site: an environment of an application's project run for one customer. */
export interface SitesTable {
  /** The environment (kind `site`) in the application's project. */
  environment_id: string;
  application_id: string;
  workspace_id: string;
  /** The environment's name, kept here so herd planning reads one table. */
  name: string;
  /** JSON object of labels (`customer`, `region`, `plan`…). */
  labels: string;
  /** `stable`, or a pre-release channel such as `beta`: which versions count as its latest. */
  channel: string;
  /** `manual`, `continuous` (upgrades itself to its channel's latest) or `staged` (clone, approval, cut-over). */
  policy: string;
  /** A cron expression of the minutes an automatic upgrade may start a site in; null when it has no window. */
  maintenance_window: string | null;
  created_at: string;
  created_by: string | null;
}

/** A herd upgrade: a plan of waves moving an application's sites to one version, and how far it got. */
export interface HerdUpgradesTable {
  id: string;
  workspace_id: string;
  application_id: string;
  /** The application's id while running or paused (unique): one upgrade at a time per application. */
  active_key: string | null;
  to_version: string;
  to_digest: string;
  selector: string | null;
  /** JSON {canary, batch, parallel, bakeSeconds, failureBudget, window, allowDowngrade}. */
  options: string;
  /** Failures tolerated; one more halts the upgrade. */
  failure_budget: number;
  failures: number;
  /** `running`, `paused`, `halted`, `aborted`, `succeeded`. */
  state: string;
  /** `manual` or `continuous` (started by a policy). */
  trigger: string;
  /** Why it halted or was aborted; one line. */
  reason: string | null;
  created_at: string;
  created_by: string | null;
  updated_at: string;
  finished_at: string | null;
  /** The control plane driving it, and until when (a crashed one's lease lapses and another resumes it). */
  lease_owner: string | null;
  lease_until: string | null;
  /** When log retention removed its sites' step logs (`server --keep-logs`); null: they are all there. */
  logs_pruned_at: string | null;
}

/** One site of a herd upgrade, and the step it is at. */
export interface HerdUpgradeSitesTable {
  upgrade_id: string;
  environment_id: string;
  site: string;
  wave: number;
  /** Order inside the upgrade (name order). */
  position: number;
  /** pending, backup, migrate, deploy, bake, done, clone, awaiting-approval, reverting, reverted, rejected, skipped. */
  step: string;
  from_version: string | null;
  from_release: number | null;
  /** JSON array of {service, as, backupId} taken before the upgrade touched the site. */
  backups: string;
  deployment_id: string | null;
  revert_deployment_id: string | null;
  /** A staged site's clone on the new version, while it exists. */
  clone_environment_id: string | null;
  error: string | null;
  started_at: string | null;
  step_started_at: string | null;
  finished_at: string | null;
}

/** A line of a site's step log in a herd upgrade. */
export interface HerdSiteEventsTable {
  upgrade_id: string;
  environment_id: string;
  seq: number;
  at: string;
  step: string;
  message: string;
}

/** A notification for an application's admins (a new version, an upgrade that halted, a site awaiting approval). */
export interface ApplicationNotificationsTable {
  id: string;
  workspace_id: string;
  application_id: string;
  /** `version`, `upgrade`, `approval`. */
  kind: string;
  message: string;
  /** JSON. */
  details: string;
  created_at: string;
  /** The outgoing webhook: null (none configured), `pending`, `sent`, `failed`. */
  webhook_state: string | null;
  webhook_error: string | null;
  /** Once-only key per application (e.g. `version:1.3.0`); null: none. */
  dedupe_key: string | null;
  /** Delivery attempts made so far. */
  webhook_attempts: number;
  /** When the next attempt is due (or until when the one under way holds it); null once sent or failed. */
  webhook_next_at: string | null;
}

/** An application's upstream hook: the URL (`/hooks/apps/<id>`) its registry calls when a tag is pushed. */
export interface ApplicationHooksTable {
  /** `ahk_` and 32 random base64url characters: the URL's secret part. */
  id: string;
  workspace_id: string;
  application_id: string;
  /** The HMAC key / bearer secret, sealed with the keyring (scope `app-hook`, name: the id). */
  secret_envelope: string;
  secret_version: number;
  created_at: string;
  created_by: string | null;
  rotated_at: string | null;
  /** Calls that passed verification, and the last one. */
  calls: number;
  last_called_at: string | null;
  /** Calls refused for a bad or missing signature, and the last one (bodies are never stored). */
  failed_verifications: number;
  last_failed_at: string | null;
}
