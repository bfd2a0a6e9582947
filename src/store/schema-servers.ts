/** The tables of servers joined by agents: the servers, their join tokens, what each should run (see src/store/schema.ts). */

/** A server joined (or to be joined) by an agent. */
export interface ServersTable {
  id: string;
  /** Unique on the instance; environments are placed on it by this name. */
  name: string;
  /** Set for a server dedicated to one workspace; null: the instance's. */
  workspace_id: string | null;
  /** JSON object of label → value. */
  labels: string;
  /** `pending` (waits for its agent), `active` (enrolled), `revoked` (refused for good). */
  state: string;
  created_at: string;
  created_by: string | null;
  enrolled_at: string | null;
  revoked_at: string | null;
  agent_version: string | null;
  hostname: string | null;
  advertise_address: string | null;
  /** The agent's current certificate (hex serial) and its expiry. */
  cert_serial: string | null;
  cert_not_after: string | null;
  /** Written at most every 30 s and on every state change (liveness itself is kept in memory). */
  last_heartbeat_at: string | null;
  /** JSON: the agent's last report (CPU, memory, disk, containers). */
  metrics: string | null;
}

/** A single-use join token of a server: only the SHA-256 of its secret is kept. */
export interface ServerJoinTokensTable {
  id: string;
  server_id: string;
  secret_hash: string;
  created_at: string;
  created_by: string | null;
  expires_at: string;
  used_at: string | null;
}

/** What a server should run: a workload, a job or an edge route, sealed with the master key (specs hold secret values). */
export interface ServerDesiredTable {
  server_id: string;
  /** `workload`, `job` or `route`. */
  kind: string;
  name: string;
  /** 1: being removed (kept until the agent reports it gone); body holds the grace seconds. */
  removed: number;
  body: string;
  updated_at: string;
}
