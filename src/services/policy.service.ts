/**
 * The policy store: versioned, validated, audited. `current()` is cached per process and refreshed
 * when any process appends `policy.updated`. Before the first update the defaults are in force
 * (version 0).
 */
import type { DataSource } from 'typeorm';
import { DEFAULT_POLICY, policySchema, type Policy } from '../config/policy';
import type { EventEntity } from '../entities/event.entity';
import { PolicyEntity } from '../entities/policy.entity';
import { ConflictError, InvalidInputError } from '../lib/errors';
import { PG_UNIQUE_VIOLATION, pgErrorCode } from '../db/postgres-errors';
import type { EventsService } from './events.service';

export interface PolicyVersion {
  version: number;
  document: Policy;
  createdAt: Date | null;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return !!value && typeof value === 'object' && !Array.isArray(value);
}

/** Sections merge key by key; a value inside a section (a number, a list, a map) is replaced whole. */
export function mergePolicy(current: Policy, patch: unknown): unknown {
  if (!isPlainObject(patch)) throw new InvalidInputError('expects the policy patch to be a JSON object of sections', { field: 'patch' });
  const merged: Record<string, unknown> = { ...current };
  for (const [section, value] of Object.entries(patch)) {
    const base = (current as Record<string, unknown>)[section];
    merged[section] = isPlainObject(base) && isPlainObject(value) ? { ...base, ...value } : value;
  }
  return merged;
}

export function parsePolicy(document: unknown): Policy {
  const parsed = policySchema.safeParse(document);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const keys = 'keys' in issue && Array.isArray(issue.keys) ? issue.keys.map(String) : [];
  const path = [...issue.path.map(String), ...(keys.length === 1 ? keys : [])].join('.');
  throw new InvalidInputError(`policy ${path || 'document'}: ${issue.message}`, { field: path || 'patch' });
}

export class PolicyService {
  private cached?: Promise<PolicyVersion>;

  constructor(
    private readonly dataSource: DataSource,
    private readonly events: EventsService,
  ) {}

  current(): Promise<PolicyVersion> {
    this.cached ??= this.load().catch((error) => {
      this.cached = undefined;
      throw error;
    });
    return this.cached;
  }

  /** Merges `patch` over the current policy, validates the whole, and stores it as the next version. */
  async updatePolicy(patch: unknown, apiKeyId: string | null): Promise<PolicyVersion> {
    const current = await this.load();
    const document = parsePolicy(mergePolicy(current.document, patch));
    try {
      const saved = await this.dataSource.transaction(async (tx) => {
        const row = await tx.save(tx.create(PolicyEntity, { version: current.version + 1, document, apiKeyId }));
        await this.events.append(tx, { type: 'policy.updated', payload: { version: row.version, patch: patch as Record<string, unknown> } });
        return row;
      });
      this.cached = Promise.resolve({ version: saved.version, document: saved.document, createdAt: saved.createdAt });
      return this.cached;
    } catch (error) {
      if (pgErrorCode(error) === PG_UNIQUE_VIOLATION) throw new ConflictError('another policy update committed first; read the policy and retry');
      throw error;
    }
  }

  /** Event-stream listener: forget the cached policy when any process updates it. */
  readonly onEvent = (event: EventEntity): void => {
    if (event.type === 'policy.updated') this.cached = undefined;
  };

  private async load(): Promise<PolicyVersion> {
    const latest = await this.dataSource.getRepository(PolicyEntity).findOne({ where: {}, order: { version: 'DESC' } });
    if (!latest) return { version: 0, document: DEFAULT_POLICY, createdAt: null };
    return { version: latest.version, document: parsePolicy(latest.document), createdAt: latest.createdAt };
  }
}
