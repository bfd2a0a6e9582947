/**
 * The registry service: content store, metadata, and authorization, as one object the HTTP
 * routes, the builder and the importer share.
 *
 * @module
 */
import type { Db } from '../store/schema.js';
import { BlobStore } from './blob-store.js';
import type { RegistryStore } from './blobs.js';
import { RegistryError } from './errors.js';
import { authorize, registryTokenKey, type RegistryAuth } from './auth.js';
import { verifyToken } from './jwt.js';
import { findRepository, type Repository } from './repositories.js';

export class Registry {
  readonly store: RegistryStore;
  readonly auth: RegistryAuth;

  private constructor(db: Db, blobs: BlobStore, key: Buffer) {
    this.store = { db, blobs };
    this.auth = { db, key, service: 'slipway' };
  }

  /** Opens the registry with its bytes under `root` (created if missing). */
  static async open(db: Db, root: string, masterKey: Buffer): Promise<Registry> {
    const blobs = new BlobStore(root);
    await blobs.init();
    return new Registry(db, blobs, registryTokenKey(masterKey));
  }

  /** `GET /v2/`: a valid credential (JWT or API token) is enough; none gets the challenge. */
  async checkBase(authorization: string | undefined): Promise<void> {
    const now = Math.floor(Date.now() / 1000);
    const bearer = authorization ? /^Bearer\s+(ey\S+)$/i.exec(authorization) : null;
    if (bearer?.[1]) {
      if (verifyToken(bearer[1], this.auth.key, this.auth.service, now)) return;
      throw new RegistryError('UNAUTHORIZED', 'registry token is invalid or expired; request a new one');
    }
    if (!authorization) throw new RegistryError('UNAUTHORIZED', 'authentication required: log in with any username and a Slipway API token as the password');
    // An API token: authenticating it against a scope-less check is enough.
    await authorize(this.auth, authorization, '', [], now);
  }

  /** The repository, after the caller's access was checked; NAME_UNKNOWN otherwise. */
  async repository(name: string): Promise<Repository> {
    const repo = await findRepository(this.store.db, name);
    if (!repo) throw new RegistryError('NAME_UNKNOWN', `repository ${name} is not known; repositories are <workspace>/<project>`);
    return repo;
  }
}
