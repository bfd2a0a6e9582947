/**
 * The servers' liveness fields — what an agent's hello says, its last heartbeat and metrics
 * (written at most every 30 s per server), what it was at disconnect — written in batches:
 * whatever is pending goes in one transaction, one transaction at a time, the fields of one
 * server merged. A thousand agents dialling at once (a control-plane restart) then cost a few
 * commits instead of two each; on the embedded store every commit is an fsync on the event loop
 * that also answers the heartbeats (measured in bench/agents.ts).
 *
 * @module
 */
import type { Db, ServersTable } from '../store/schema.js';

export type LivenessFields = Partial<Pick<ServersTable, 'agent_version' | 'hostname' | 'advertise_address' | 'last_heartbeat_at' | 'metrics'>>;

/** Rows per transaction: bounds how long one batch holds the store (and, on SQLite, the event loop). */
const batchSize = 200;

interface Waiter {
  resolve(): void;
  reject(error: unknown): void;
}

export class ServerRows {
  private pending = new Map<string, { fields: LivenessFields; waiters: Waiter[] }>();
  private running: Promise<void> | null = null;

  constructor(private readonly db: Db) {}

  /** Merges `fields` into the server's pending write; resolves once they are stored. */
  update(serverId: string, fields: LivenessFields): Promise<void> {
    if (Object.keys(fields).length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const entry = this.pending.get(serverId);
      if (entry) {
        entry.fields = { ...entry.fields, ...fields };
        entry.waiters.push({ resolve, reject });
      } else {
        this.pending.set(serverId, { fields, waiters: [{ resolve, reject }] });
      }
      this.kick();
    });
  }

  /** Resolves once nothing is pending or being written. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private kick(): void {
    if (this.running) return;
    this.running = this.drain().finally(() => {
      this.running = null;
      if (this.pending.size > 0) this.kick();
    });
  }

  private async drain(): Promise<void> {
    // What the rest of this turn adds goes into the same transaction.
    await new Promise((resolve) => setImmediate(resolve));
    while (this.pending.size > 0) {
      const batch = [...this.pending].slice(0, batchSize);
      for (const [id] of batch) this.pending.delete(id);
      try {
        await this.db.transaction().execute(async (tx) => {
          for (const [id, { fields }] of batch) await tx.updateTable('servers').set(fields).where('id', '=', id).execute();
        });
        for (const [, { waiters }] of batch) for (const w of waiters) w.resolve();
      } catch (error) {
        for (const [, { waiters }] of batch) for (const w of waiters) w.reject(error);
      }
    }
  }
}
