/** The tables of webhooks: each project's hook, the deliveries it received, and the environments branches and pull requests made (see src/store/schema.ts). */

/** A project's webhook endpoint (`POST /hooks/<id>`): the id is random and unguessable, the secret sealed with the keyring. */
export interface ProjectHooksTable {
  id: string;
  workspace_id: string;
  /** Unique: one hook per project. */
  project_id: string;
  /** `github`, `gitlab` or `gitea` (Gitea and Forgejo). */
  provider: string;
  /** The secret (HMAC key or GitLab token), sealed like a secret value (scope `webhook`, name = hook id). */
  secret_envelope: string;
  /** Grows at every rotation; part of the envelope's identity. */
  secret_version: number;
  created_at: string;
  /** The member deliveries act as (capped at developer): who created the hook, or last rotated its secret. */
  created_by: string | null;
  rotated_at: string | null;
  /** `build`: build the pushed commit; `image`: deploy the tag `git-<12 hex>` CI pushed to the project's repository. */
  source: string;
  /** The branch deployed to `dev` when the project has no git source (null: its git source's, else `main`). */
  default_branch: string | null;
  /** JSON array of branch patterns that get branch environments when the project has no git source. */
  branch_envs: string;
  /** 1: pull/merge requests get preview environments. */
  previews: number;
  preview_ttl_seconds: number;
  /** Deliveries refused for a bad signature or token (their bodies are never kept). */
  failed_verifications: number;
  last_failed_at: string | null;
}

/** One delivery a hook received, with its body kept (bounded) for replay. Never the secret. */
export interface WebhookDeliveriesTable {
  id: string;
  hook_id: string;
  workspace_id: string;
  project_id: string;
  /** The provider's delivery id (`body:<sha256>` when it sent none); unique per hook. */
  delivery_id: string;
  event: string | null;
  action: string | null;
  ref: string | null;
  sha: string | null;
  /** received → processing → processed | failed; ignored at once for unused events. */
  status: string;
  message: string | null;
  /** How authenticity was checked (the header that matched). */
  verification: string;
  content_type: string;
  body: string;
  received_at: string;
  updated_at: string;
  /** Times it was processed (a replay adds one). */
  attempts: number;
  /** Times the same delivery id came again (answered `duplicate`, nothing done). */
  duplicates: number;
}

/** What a branch or preview environment follows: its branch or request, head commit and expiry. */
export interface EnvironmentSourcesTable {
  environment_id: string;
  project_id: string;
  /** `branch` or `preview`. */
  kind: string;
  /** The branch name, or the request number. */
  ref: string;
  head_ref: string | null;
  sha: string | null;
  updated_at: string;
  /** A preview's end (its TTL after the last update); null for a branch environment. */
  expires_at: string | null;
}
