/**
 * API keys: random 256-bit secrets shown once and stored as SHA-256 (a slow hash buys nothing for
 * secrets of that entropy, and every request checks one). Roles are ordered: each includes the ones
 * before it (viewer ⊂ trader ⊂ operator ⊂ admin).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { ApiKeyEntity, ROLES, type Role } from '../entities/api-key.entity';
import { InvalidInputError, NotFoundError, UnauthenticatedError } from '../lib/errors';

export interface Principal {
  keyId: string;
  name: string;
  role: Role;
}

export function roleIncludes(role: Role, required: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(required);
}

export function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

const CACHE_TTL_MS = 5_000;
const KEY_PATTERN = /^kyb_[A-Za-z0-9_-]{43}$/;

export class ApiKeysService {
  private readonly cache = new Map<string, { principal: Principal | null; expires: number }>();

  constructor(private readonly dataSource: DataSource) {}

  async createKey(role: string, name = `${role} key`): Promise<{ key: string; record: ApiKeyEntity }> {
    if (!(ROLES as readonly string[]).includes(role)) {
      throw new InvalidInputError(`expects role to be one of ${ROLES.join(', ')}, but got "${role}"`, { field: 'role' });
    }
    const key = `kyb_${randomBytes(32).toString('base64url')}`;
    const record = await this.dataSource.getRepository(ApiKeyEntity).save({
      name,
      role: role as Role,
      keyHash: hashKey(key),
      prefix: key.slice(0, 10),
    });
    return { key, record };
  }

  async revokeKey(id: string): Promise<ApiKeyEntity> {
    const repository = this.dataSource.getRepository(ApiKeyEntity);
    const record = await repository.findOneBy({ id });
    if (!record) throw new NotFoundError(`no API key with id ${id}`);
    if (!record.revokedAt) {
      record.revokedAt = new Date();
      await repository.save(record);
    }
    this.cache.clear();
    return record;
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
      await manager.getRepository(ApiKeyEntity).save({ name: 'bootstrap admin', role: 'admin', keyHash: hashKey(key), prefix: key.slice(0, 10) });
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
    const hash = hashKey(key);
    const cached = this.cache.get(hash);
    let principal: Principal | null;
    if (cached && cached.expires > Date.now()) {
      principal = cached.principal;
    } else {
      const record = await this.dataSource.getRepository(ApiKeyEntity).findOneBy({ keyHash: hash });
      principal = record && !record.revokedAt ? { keyId: record.id, name: record.name, role: record.role } : null;
      this.cache.set(hash, { principal, expires: Date.now() + CACHE_TTL_MS });
    }
    if (!principal) throw new UnauthenticatedError('the API key is unknown or revoked');
    return principal;
  }
}
