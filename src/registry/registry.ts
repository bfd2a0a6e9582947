/**
 * The registry service: content store, metadata, authorization and limits, as one object the
 * HTTP routes, the builder and the importer share.
 *
 * @module
 */
import type { Db } from '../store/schema.js';
import { BlobChunks } from './blob-chunks.js';
import { BlobStore } from './blob-store.js';
import type { RegistryStore } from './blobs.js';
import { RegistryError } from './errors.js';
import { authorize, liveClaims, registryTokenKey, type RegistryAuth } from './auth.js';
import { findRepository, repositoryForPush, type Repository } from './repositories.js';
import { TokenLiveness } from './token-liveness.js';

/** Limits on what registry clients may hold open or send. */
export interface RegistryLimits {
  /** Largest blob accepted, in bytes. */
  maxBlobBytes: number;
  /** Upload sessions idle (no chunk received) longer than this are cancelled, in ms. */
  uploadIdleMs: number;
  /** Upload sessions a workspace may have open at once. */
  maxUploadSessions: number;
}

export const defaultRegistryLimits: RegistryLimits = { maxBlobBytes: 10 * 1024 ** 3, uploadIdleMs: 15 * 60_000, maxUploadSessions: 100 };

export class Registry {
  readonly store: RegistryStore;
  readonly auth: RegistryAuth;
  /** Blob bytes being served, shared between concurrent pulls of the same blob. */
  readonly chunks = new BlobChunks();

  private constructor(
    db: Db,
    blobs: BlobStore,
    key: Buffer,
    readonly limits: RegistryLimits,
    /** The server's public URL (the token realm's base); absent: each connection's own address. */
    readonly publicUrl: string | undefined,
  ) {
    this.store = { db, blobs };
    this.auth = { db, key, service: 'slipway', liveness: new TokenLiveness(db) };
  }

  /** Opens the registry with its bytes under `root` (created if missing). */
  static async open(db: Db, root: string, masterKey: Buffer, config: { limits?: Partial<RegistryLimits>; publicUrl?: string | undefined } = {}): Promise<Registry> {
    const blobs = new BlobStore(root);
    await blobs.init();
    return new Registry(db, blobs, registryTokenKey(masterKey), { ...defaultRegistryLimits, ...config.limits }, config.publicUrl);
  }

  /** `GET /v2/`: a valid credential (JWT or API token) is enough; none gets the challenge. */
  async checkBase(authorization: string | undefined): Promise<void> {
    const now = Math.floor(Date.now() / 1000);
    const bearer = authorization ? /^Bearer\s+(ey\S+)$/i.exec(authorization) : null;
    if (bearer?.[1]) {
      if (await liveClaims(this.auth, bearer[1], now)) return;
      throw new RegistryError('UNAUTHORIZED', 'registry token is invalid, expired or revoked; request a new one');
    }
    if (!authorization) throw new RegistryError('UNAUTHORIZED', 'authentication required: log in with any username and a Slipway API token as the password');
    // An API token: authenticating it against a scope-less check is enough.
    await authorize(this.auth, authorization, '', [], now);
  }

  /**
   * The repository for reading, after the caller's access was checked; NAME_UNKNOWN when no
   * project has that name. A project nothing was pushed to yet reads as empty (no row is made).
   */
  async repository(name: string): Promise<Repository> {
    const repo = await findRepository(this.store.db, name);
    if (!repo) throw unknownRepository(name);
    return repo;
  }

  /** The repository for an authorized push: its row, created on the project's first push. */
  async repositoryForPush(name: string): Promise<Repository> {
    const repo = await repositoryForPush(this.store.db, name);
    if (!repo) throw unknownRepository(name);
    return repo;
  }
}

function unknownRepository(name: string): RegistryError {
  return new RegistryError('NAME_UNKNOWN', `repository ${name} is not known; repositories are <workspace>/<project>`);
}
