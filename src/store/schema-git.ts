/** The tables of git sources: a project's linked repository and the builds made from its commits (see src/store/schema.ts). */

/** A project's linked git repository (at most one per project). */
export interface GitSourcesTable {
  project_id: string;
  workspace_id: string;
  /** https:// or http:// URL, without credentials (refused at link time when it has any). */
  url: string;
  /** A push to this branch deploys to the first environment of the project's pipeline. */
  default_branch: string;
  /** JSON array of branch patterns (`feature/*`) that get branch environments. */
  branch_envs: string;
  /** The token, sealed with the keyring (identity: project, scope `git-source`, generation); null: none. Never returned. */
  credential_envelope: string | null;
  /** Bumped at every new credential (the seal's version). */
  credential_generation: number;
  /** `--runtime` for the builder (java, static, node), or null: detect. */
  runtime: string | null;
  /** `--base` for the builder, or null: the runtime's default. */
  base: string | null;
  created_at: string;
  updated_at: string;
  updated_by: string | null;
}

/** One build of a commit. */
export interface GitBuildsTable {
  id: string;
  workspace_id: string;
  project_id: string;
  /** What was asked for: a branch, tag or sha. */
  ref: string;
  /** The commit it resolved to (null until fetched). */
  commit_sha: string | null;
  version: string | null;
  digest: string | null;
  /** `dockerfile` (buildah) or `builder` (static/Node/JAR), null until known. */
  method: string | null;
  /** running | succeeded | failed */
  status: string;
  error: string | null;
  /** Step lines, newline-separated (never holds the credential). */
  log: string;
  created_by: string | null;
  started_at: string;
  finished_at: string | null;
}
