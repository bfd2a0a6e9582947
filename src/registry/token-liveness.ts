/**
 * Whether the API token behind a registry JWT still counts: not revoked, not expired. A JWT
 * names its API token (`tok`); every registry request carrying one asks here, so revoking the
 * API token ends its registry access within {@link livenessTtlMs}, not at the JWT's expiry.
 *
 * The answer is cached per token for a short time so a `docker pull` of many layers costs one
 * indexed read per token every couple of seconds, not one per request. The cache is per
 * process and re-reads the store, so it holds for several control-plane processes too.
 *
 * @module
 */
import type { Executor } from '../store/schema.js';

/** How long a token's answer is reused. Revocation takes effect on the registry within this. */
export const livenessTtlMs = 2000;

/** Entries kept at most; a full cache starts over (a miss only costs one read). */
const maxEntries = 10_000;

export class TokenLiveness {
  readonly #cache = new Map<string, { live: boolean; checkedAt: number }>();

  constructor(
    private readonly db: Executor,
    private readonly ttlMs = livenessTtlMs,
  ) {}

  /** True while the API token `tokenId` is neither revoked nor expired. */
  async isLive(tokenId: string, nowMs = Date.now()): Promise<boolean> {
    const hit = this.#cache.get(tokenId);
    if (hit && nowMs - hit.checkedAt < this.ttlMs) return hit.live;
    const row = await this.db.selectFrom('tokens').select(['revoked_at', 'expires_at']).where('id', '=', tokenId).executeTakeFirst();
    const live = row !== undefined && !row.revoked_at && (!row.expires_at || row.expires_at > new Date(nowMs).toISOString());
    if (this.#cache.size >= maxEntries) this.#cache.clear();
    this.#cache.set(tokenId, { live, checkedAt: nowMs });
    return live;
  }
}
