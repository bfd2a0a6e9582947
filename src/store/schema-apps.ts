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
}

/** One version of an application: a semver tag and the digest it names (immutable once recorded). */
export interface ApplicationVersionsTable {
  application_id: string;
  tag: string;
  digest: string;
  discovered_at: string;
}
