/**
 * API keys: random 256-bit secrets shown once and stored as SHA-256 (a slow hash buys nothing for
 * secrets of that entropy, and every request checks one). Roles are ordered: each includes the ones
 * before it (viewer ⊂ trader ⊂ operator ⊂ admin).
 *
 * Revocation takes effect at once in every process: a revoked key is refused by any request that
 * arrives after the revocation committed (a cached lookup is trusted only after a round trip on the
 * listening connection has delivered every change committed before the request), its graphql-ws
 * connections are closed with 4403, and a key-minting or revoking request of a key checks it in
 * its own transaction, so a key being revoked cannot mint another in any window.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import type { PgListener } from '../../db/listener';
import { ApiKeyEntity, ROLES, type Role } from '../../entities/api-key.entity';
import { InvalidInputError, NotFoundError, UnauthenticatedError, quote } from '../../lib/errors';
import { isUuid } from '../../lib/ids';

export interface Principal {
  keyId: string;
  name: string;
  role: Role;
}

export function roleIncludes(role: Role, required: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(required);
}

function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

const API_KEYS_CHANNEL = 'kybernet_api_keys';
/** The graphql-ws close code and reason a connection gets when its key is revoked. */
export const KEY_REVOKED_CLOSE = { code: 4403, reason: 'the API key was revoked' } as const;

const KEY_PATTERN = /^kyb_[A-Za-z0-9_-]{43}$/;
/** Cached lookups (bad keys included) before the cache starts over: bounds what a flood of made-up keys can hold. */
const CACHE_MAX_ENTRIES = 10_000;
const RETRY_MS = 500;

export class ApiKeysService {
  /** Principal (or null: unknown or revoked) by key hash; trusted only while the listener hears every change. */
  private readonly cache = new Map<string, Principal | null>();
  /** Bumped whenever the cache is cleared, so that a lookup begun before then is not cached after. */
  private generation = 0;
  /** Keys this process knows to be revoked (or deleted); a revoked key is never valid again. */
  private readonly revoked = new Set<string>();
  /** What closes each open graphql-ws connection, by key id. */
  private readonly connections = new Map<string, Set<() => void>>();
  private retryTimer?: NodeJS.Timeout;

  /**
   * Without a listener (the CLI) every authentication reads the database. With one, lookups are
   * cached, and the cache is cleared on every change of a key heard from any process (a trigger
   * NOTIFYs them, migration 1795301300000) and whenever the listener loses its connection; it is
   * bypassed until the listener is back.
   */
  constructor(
    private readonly dataSource: DataSource,
    private readonly listener?: PgListener,
    private readonly log: (message: string) => void = () => {},
  ) {
    listener?.channel(API_KEYS_CHANNEL, (id) => {
      this.invalidate();
      void this.closeRevokedConnections([id]);
    });
    listener?.watch({
      connectionWasLost: () => this.invalidate(),
      // Revocations while not listening were not heard: check every key with an open connection.
      connectionDidOpen: () => {
        this.invalidate();
        void this.closeRevokedConnections([...this.connections.keys()]);
      },
    });
  }

  /** A new key of `role`; when `by` is given, only while `by`'s own key is not revoked (checked in the same transaction). */
  async createKey(role: string, name = `${role} key`, by?: Principal): Promise<{ key: string; record: ApiKeyEntity }> {
    if (!(ROLES as readonly string[]).includes(role)) {
      throw new InvalidInputError(`expects role to be one of ${ROLES.join(', ')}, but got ${quote(role)}`, { field: 'role' });
    }
    const key = `kyb_${randomBytes(32).toString('base64url')}`;
    const record = await this.dataSource.transaction(async (tx) => {
      if (by) await this.lockUnrevoked(tx, by);
      return tx.getRepository(ApiKeyEntity).save({ name, role: role as Role, keyHash: hashKey(key), prefix: key.slice(0, 10) });
    });
    return { key, record };
  }

  /** Revokes the key (idempotent); it is refused at once by every process and its graphql-ws connections are closed. */
  async revokeKey(id: string, by?: Principal): Promise<ApiKeyEntity> {
    if (!isUuid(id)) throw new InvalidInputError(`expects an API key id (a UUID), but got ${quote(id)}`, { field: 'id' });
    const record = await this.dataSource.transaction(async (tx) => {
      if (by) await this.lockUnrevoked(tx, by);
      // The row lock first, then the time: revoked_at is read after every minting transaction that holds the
      // key's share lock has committed. (Computed within the UPDATE, clock_timestamp() is taken before the
      // UPDATE waits for those locks, and share lockers arriving while it waits can commit ahead of it.)
      await tx.query('SELECT 1 FROM api_keys WHERE id = $1 FOR UPDATE', [id]);
      await tx.query('UPDATE api_keys SET revoked_at = clock_timestamp() WHERE id = $1 AND revoked_at IS NULL', [id]);
      return tx.getRepository(ApiKeyEntity).findOneBy({ id });
    });
    if (!record) throw new NotFoundError(`no API key with id ${id}`);
    this.invalidate();
    this.keyWasRevoked(id);
    return record;
  }

  /**
   * Registers an open graphql-ws connection of `keyId`; `close` is called once when the key is
   * revoked (at once when it already is). Returns the unregister, for when the connection closes.
   */
  trackConnection(keyId: string, close: () => void): () => void {
    if (this.revoked.has(keyId)) {
      close();
      return () => {};
    }
    let closers = this.connections.get(keyId);
    if (!closers) this.connections.set(keyId, (closers = new Set()));
    closers.add(close);
    return () => {
      closers.delete(close);
      if (closers.size === 0 && this.connections.get(keyId) === closers) this.connections.delete(keyId);
    };
  }

  listKeys(): Promise<ApiKeyEntity[]> {
    return this.dataSource.getRepository(ApiKeyEntity).find({ order: { createdAt: 'ASC' } });
  }

  async hasAnyKey(): Promise<boolean> {
    return (await this.dataSource.getRepository(ApiKeyEntity).count()) > 0;
  }

  /** Creates the first admin key when none exists; returns it (to print once) or undefined. */
  async bootstrapAdminKey(): Promise<string | undefined> {
    return this.dataSource.transaction(async (manager) => {
      // Serialise concurrent first starts of several replicas.
      await manager.query('LOCK TABLE api_keys IN EXCLUSIVE MODE');
      if ((await manager.getRepository(ApiKeyEntity).count()) > 0) return undefined;
      const key = `kyb_${randomBytes(32).toString('base64url')}`;
      await manager
        .getRepository(ApiKeyEntity)
        .save({ name: 'bootstrap admin', role: 'admin', keyHash: hashKey(key), prefix: key.slice(0, 10) });
      return key;
    });
  }

  /** The principal of an `Authorization` header value, or an UnauthenticatedError that says what is wrong. */
  async authenticate(authorization: string | undefined): Promise<Principal> {
    if (!authorization) {
      throw new UnauthenticatedError('expects an API key as "Authorization: Bearer <key>", but the request has none');
    }
    const key = authorization.replace(/^Bearer\s+/i, '').trim();
    if (!KEY_PATTERN.test(key)) {
      throw new UnauthenticatedError('expects an API key of the form kyb_<43 characters>, but got something else');
    }
    const principal = await this.lookup(hashKey(key));
    if (!principal || this.revoked.has(principal.keyId)) throw new UnauthenticatedError('the API key is unknown or revoked');
    return principal;
  }

  private async lookup(hash: string): Promise<Principal | null> {
    const cached = this.cache.get(hash);
    // Every change committed before this request has been heard once the listening connection answers.
    if (cached !== undefined && (await this.listener!.sync()) && this.cache.get(hash) === cached) return cached;
    const generation = this.generation;
    const cacheable = this.listener?.isListening() ?? false;
    const record = await this.dataSource.getRepository(ApiKeyEntity).findOneBy({ keyHash: hash });
    const principal = record && !record.revokedAt ? { keyId: record.id, name: record.name, role: record.role } : null;
    if (cacheable && generation === this.generation && this.listener!.isListening()) {
      if (this.cache.size >= CACHE_MAX_ENTRIES) this.cache.clear();
      this.cache.set(hash, principal);
    }
    return principal;
  }

  private invalidate(): void {
    this.cache.clear();
    this.generation++;
  }

  private keyWasRevoked(id: string): void {
    this.revoked.add(id);
    const closers = this.connections.get(id);
    this.connections.delete(id);
    for (const close of closers ?? []) {
      try {
        close();
      } catch (error) {
        this.log(`api keys: closing a connection of revoked key ${id}: ${(error as Error).message}`);
      }
    }
  }

  /** Closes the connections of those of `ids` that are revoked or gone, as the database says now (retried until it answers). */
  private async closeRevokedConnections(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    try {
      const valid: { id: string }[] = await this.dataSource.query(
        'SELECT id FROM api_keys WHERE id = ANY($1::uuid[]) AND revoked_at IS NULL',
        [ids],
      );
      const stillValid = new Set(valid.map((row) => row.id));
      for (const id of ids) if (!stillValid.has(id)) this.keyWasRevoked(id);
    } catch (error) {
      this.log(`api keys: checking revocations: ${(error as Error).message}`);
      // Without the listener, its reconnect checks every open connection anyway.
      if (!this.listener?.isListening()) return;
      clearTimeout(this.retryTimer);
      this.retryTimer = setTimeout(() => void this.closeRevokedConnections([...new Set([...ids, ...this.connections.keys()])]), RETRY_MS);
      this.retryTimer.unref();
    }
  }

  /** Takes a share lock on `by`'s key row, so that a revocation waits for this transaction; refuses a revoked key. */
  private async lockUnrevoked(tx: EntityManager, by: Principal): Promise<void> {
    const rows: unknown[] = await tx.query('SELECT 1 FROM api_keys WHERE id = $1 AND revoked_at IS NULL FOR SHARE', [by.keyId]);
    if (rows.length === 0) throw new UnauthenticatedError('the API key is unknown or revoked');
  }
}
