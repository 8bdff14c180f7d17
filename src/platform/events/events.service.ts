/**
 * The event log. Every change appends its event in the same transaction (`append`), so an event
 * exists exactly when its change committed. Appends take a transaction-scoped advisory lock, which
 * makes ids commit in increasing order: a reader that has seen id N has seen every id below N, so
 * `after: N` replays without gaps. The NOTIFY issued in the transaction is delivered at commit to
 * every process's EventStream (through its PgListener, src/db/listener.ts).
 */
import type { DataSource, EntityManager } from 'typeorm';
import { EventEntity } from '../../entities/event.entity';
import { InvalidInputError } from '../../lib/errors';
import { EVENT_TYPES, type KybernetEvent, type NewEvent } from './event-types';

export const EVENTS_CHANNEL = 'kybernet_events';
const APPEND_LOCK_KEY = 0x6b79626e; // "kybn"

export interface EventFilter {
  types?: readonly string[];
  modelName?: string;
  jobId?: string;
}

export function matchesFilter(event: EventEntity, filter: EventFilter): boolean {
  if (filter.types?.length && !filter.types.includes(event.type)) return false;
  if (filter.modelName && event.modelName !== filter.modelName) return false;
  if (filter.jobId && event.jobId !== filter.jobId) return false;
  return true;
}

export function validateEventTypes(types: readonly string[] | undefined): void {
  const unknown = (types ?? []).filter((type) => !(EVENT_TYPES as readonly string[]).includes(type));
  if (unknown.length) {
    throw new InvalidInputError(`expects event types among ${EVENT_TYPES.join(', ')}, but got ${unknown.join(', ')}`, {
      field: 'types',
    });
  }
}

export class EventsService {
  constructor(private readonly dataSource: DataSource) {}

  /** Appends within `manager`'s transaction; the caller commits. `event.payload` is its type's (event-types.ts EventPayloads). */
  async append(manager: EntityManager, event: NewEvent): Promise<KybernetEvent> {
    if (!manager.queryRunner?.isTransactionActive) throw new Error('events must be appended inside a transaction');
    await manager.query('SELECT pg_advisory_xact_lock($1)', [APPEND_LOCK_KEY]);
    const row = manager.create(EventEntity, {
      type: event.type,
      modelName: event.modelName ?? null,
      modelVersionId: event.modelVersionId ?? null,
      jobId: event.jobId ?? null,
      payload: event.payload,
    });
    const saved = await manager.save(row);
    await manager.query('SELECT pg_notify($1, $2)', [EVENTS_CHANNEL, saved.id]);
    return saved as KybernetEvent;
  }

  /** Appends in a transaction of its own, for events that report no other change. */
  async publish(event: NewEvent): Promise<KybernetEvent> {
    return this.dataSource.transaction((manager) => this.append(manager, event));
  }

  /** Events in id order. Each row's payload is its type's: only `append` writes the log. */
  async list(filter: EventFilter & { after?: string; limit?: number }): Promise<KybernetEvent[]> {
    validateEventTypes(filter.types);
    const query = this.dataSource
      .getRepository(EventEntity)
      .createQueryBuilder('e')
      .orderBy('e.id', 'ASC')
      .limit(Math.min(filter.limit ?? 500, 5000));
    if (filter.after) query.andWhere('e.id > :after', { after: filter.after });
    if (filter.types?.length) query.andWhere('e.type IN (:...types)', { types: filter.types });
    if (filter.modelName) query.andWhere('e.model_name = :modelName', { modelName: filter.modelName });
    if (filter.jobId) query.andWhere('e.job_id = :jobId', { jobId: filter.jobId });
    return (await query.getMany()) as KybernetEvent[];
  }

  async latestId(): Promise<string> {
    const [row] = await this.dataSource.query('SELECT coalesce(max(id), 0)::text AS id FROM events');
    return row.id as string;
  }
}
