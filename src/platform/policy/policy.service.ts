/**
 * The policy store: versioned, validated, audited. `current()` is cached per process and refreshed
 * when any process appends `policy.updated`. Before the first update the defaults are in force
 * (version 0).
 */
import type { DataSource, EntityManager } from 'typeorm';
import type { z } from 'zod';
import { DEFAULT_POLICY, policySchema, storedPolicySchema, type Policy } from '../../config/policy';
import type { EventEntity } from '../../entities/event.entity';
import { PolicyEntity } from '../../entities/policy.entity';
import { ConflictError, excerpt, InvalidInputError, quote, refusal } from '../../lib/errors';
import { PG_UNIQUE_VIOLATION, pgErrorCode } from '../../db/postgres-errors';
import type { EventsService } from '../events/events.service';

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

function valueAt(document: unknown, path: PropertyKey[]): unknown {
  return path.reduce<unknown>((node, key) => (isPlainObject(node) ? node[String(key)] : undefined), document);
}

/** One validation problem as a refusal in the house style: what the setting expects, and what it got. */
function refusalOf(issue: z.core.$ZodIssue, document: unknown): InvalidInputError {
  const value = valueAt(document, issue.path);
  const shown = (v: unknown) => (v === undefined ? 'nothing' : typeof v === 'string' ? quote(v) : excerpt(v));
  let got = shown(value);
  if (issue.code === 'unrecognized_keys') {
    const known = Object.keys((valueAt(DEFAULT_POLICY, issue.path) as Record<string, unknown>) ?? {});
    const field = [...issue.path.map(String), issue.keys[0]].join('.');
    const where = issue.path.length ? `section ${issue.path.join('.')}` : 'the policy';
    return refusal({
      by: `policy ${field}:`,
      expects: `a setting of ${where} (${known.join(', ')})`,
      got: `the unknown key ${quote(issue.keys[0])}`,
      details: { field },
    });
  }
  const field = issue.path.map(String).join('.') || 'patch';
  let expects: string;
  switch (issue.code) {
    case 'too_small':
      expects = `a number ${issue.inclusive ? '>=' : '>'} ${issue.minimum}`;
      break;
    case 'too_big':
      expects = `a number ${issue.inclusive ? '<=' : '<'} ${issue.maximum}`;
      break;
    case 'invalid_type':
      expects = issue.expected === 'int' ? 'a whole number' : `a${/^[aeiou]/.test(issue.expected) ? 'n' : ''} ${issue.expected}`;
      break;
    case 'invalid_key':
      expects = (issue.issues[0]?.message ?? 'a valid key').replace(/^expects /, '');
      got = `the key ${quote(String(issue.path.at(-1)))}`;
      break;
    case 'invalid_value':
      expects = `one of ${issue.values.map((option) => JSON.stringify(option)).join(', ')}`;
      break;
    default:
      expects = issue.message.replace(/^expects /, '');
  }
  return refusal({ by: `policy ${field}:`, expects, got, details: { field } });
}

export function parsePolicy(document: unknown, schema: z.ZodType<Policy, unknown> = policySchema): Policy {
  const parsed = schema.safeParse(document);
  if (parsed.success) return parsed.data;
  throw refusalOf(parsed.error.issues[0], document);
}

export class PolicyService {
  private cached?: Promise<PolicyVersion>;

  constructor(
    private readonly dataSource: DataSource,
    private readonly events: EventsService,
  ) {}

  /**
   * The current policy, cached. Code inside a transaction passes its manager: a cold cache is then
   * read on the transaction's own connection — a read on another could wait forever for a pool whose
   * every connection is held by transactions waiting for the same read (many trades closed at once).
   */
  current(tx?: EntityManager): Promise<PolicyVersion> {
    if (!this.cached && tx) return this.load(tx);
    this.cached ??= this.load().catch((error) => {
      this.cached = undefined;
      throw error;
    });
    return this.cached;
  }

  /** The document of the current policy: what the settings are now, for code that does not need the version (see `current` for `tx`). */
  async document(tx?: EntityManager): Promise<Policy> {
    return (await this.current(tx)).document;
  }

  /** Merges `patch` over the current policy, validates the whole, and stores it as the next version. */
  async updatePolicy(patch: unknown, apiKeyId: string | null): Promise<PolicyVersion> {
    const current = await this.load();
    const document = parsePolicy(mergePolicy(current.document, patch));
    try {
      const saved = await this.dataSource.transaction(async (tx) => {
        const row = await tx.save(tx.create(PolicyEntity, { version: current.version + 1, document, apiKeyId }));
        await this.events.append(tx, {
          type: 'policy.updated',
          payload: { version: row.version, patch: patch as Record<string, unknown> },
        });
        return row;
      });
      this.cached = Promise.resolve({ version: saved.version, document: saved.document, createdAt: saved.createdAt });
      return this.cached;
    } catch (error) {
      if (pgErrorCode(error) === PG_UNIQUE_VIOLATION)
        throw new ConflictError('another policy update committed first; read the policy and retry');
      throw error;
    }
  }

  /** Event-stream listener: forget the cached policy when any process updates it. */
  readonly onEvent = (event: EventEntity): void => {
    if (event.type === 'policy.updated') this.cached = undefined;
  };

  private async load(manager: EntityManager = this.dataSource.manager): Promise<PolicyVersion> {
    const latest = await manager.getRepository(PolicyEntity).findOne({ where: {}, order: { version: 'DESC' } });
    if (!latest) return { version: 0, document: DEFAULT_POLICY, createdAt: null };
    return { version: latest.version, document: parsePolicy(latest.document, storedPolicySchema), createdAt: latest.createdAt };
  }
}
