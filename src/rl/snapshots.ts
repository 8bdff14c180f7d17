/**
 * Snapshots of live Q-tables as registry versions. `take` copies the table into rl_snapshots inside
 * the transaction of the change that calls for it (the N-th learned trade, a reset), so a snapshot
 * exists exactly when that change committed. `registerPending` then registers each pending copy as a
 * SNAPSHOT version (source UPDATED, parent = the version the live table descends from; promotable by
 * hand, never scoring requests as a shadow) and, in the same transaction, marks the snapshot
 * registered and appends `rl.snapshot`. A copy whose registration failed or whose process died stays
 * pending and is claimed again after a while, by any process.
 */
import type { DataSource, EntityManager } from 'typeorm';
import { RegisteredModelEntity } from '../entities/registered-model.entity';
import type { RlAgentEntity } from '../entities/rl-agent.entity';
import type { RlSnapshotReason } from '../entities/rl-snapshot.entity';
import { tableToArtifact, type QTable } from '../plugins/rl';
import type { EventsService } from '../platform/events/events.service';
import type { RegistryService } from '../registry/registry.service';

/** A claim older than this is taken to be abandoned (its process died mid-registration). */
const CLAIM_TIMEOUT = '5 minutes';

interface ClaimedSnapshot {
  id: string;
  registered_model_id: string;
  reason: RlSnapshotReason;
  epoch: number;
  trades_seen: number;
  pending_q_table: QTable;
  source_version_id: string | null;
}

export class RlSnapshots {
  constructor(
    private readonly dataSource: DataSource,
    private readonly registry: RegistryService,
    private readonly events: EventsService,
    private readonly log: (message: string) => void,
  ) {}

  /** Copies `row`'s table (as `table`) into a pending snapshot; returns its id. */
  async take(tx: EntityManager, row: RlAgentEntity, table: QTable, reason: RlSnapshotReason): Promise<string> {
    const [{ last }] = await tx.query('SELECT max(id) AS last FROM rl_transitions WHERE registered_model_id = $1', [row.registeredModelId]);
    const [{ id }] = await tx.query(
      `INSERT INTO rl_snapshots (registered_model_id, reason, epoch, trades_seen, last_transition_id, pending_q_table)
       VALUES ($1, $2, $3, $4, $5, $6::jsonb) RETURNING id`,
      [row.registeredModelId, reason, row.epoch, table.tradesSeen, last, JSON.stringify(table)],
    );
    return id;
  }

  /**
   * Registers every pending snapshot (of one model when given) and returns how many; a failure is
   * logged, ends the round and is retried later (the next learned trade, or the RL_MAINTENANCE job).
   */
  async registerPending(registeredModelId?: string): Promise<number> {
    for (let registered = 0; ; registered++) {
      const claimed = await this.claim(registeredModelId);
      if (!claimed) return registered;
      try {
        await this.register(claimed);
      } catch (error) {
        this.log(`rl: snapshot ${claimed.id} could not be registered (it stays pending): ${(error as Error).message}`);
        return registered;
      }
    }
  }

  private async claim(registeredModelId?: string): Promise<ClaimedSnapshot | null> {
    // TypeORM answers an UPDATE … RETURNING with [rows, affected].
    const [rows]: [ClaimedSnapshot[], number] = await this.dataSource.query(
      `UPDATE rl_snapshots s SET claimed_at = now()
       FROM (SELECT id FROM rl_snapshots
             WHERE model_version_id IS NULL AND (claimed_at IS NULL OR claimed_at < now() - interval '${CLAIM_TIMEOUT}')
               AND ($1::uuid IS NULL OR registered_model_id = $1)
             ORDER BY created_at, id LIMIT 1 FOR UPDATE SKIP LOCKED) next
       WHERE s.id = next.id
       RETURNING s.id, s.registered_model_id, s.reason, s.epoch, s.trades_seen, s.pending_q_table,
                 (SELECT source_version_id FROM rl_agents a WHERE a.registered_model_id = s.registered_model_id) AS source_version_id`,
      [registeredModelId ?? null],
    );
    return rows[0] ?? null;
  }

  private async register(snapshot: ClaimedSnapshot): Promise<void> {
    const model = await this.dataSource.getRepository(RegisteredModelEntity).findOneByOrFail({ id: snapshot.registered_model_id });
    const table = snapshot.pending_q_table;
    const version = await this.registry.beginVersion({
      registeredModel: model,
      source: 'UPDATED',
      hyperparameters: table.hyperparameters as unknown as Record<string, unknown>,
      parentVersionId: snapshot.source_version_id,
      trainingSpec: { snapshot: { id: snapshot.id, reason: snapshot.reason, epoch: snapshot.epoch, tradesSeen: snapshot.trades_seen } },
      description: `live ${model.family} table after ${snapshot.trades_seen} trades (${snapshot.reason === 'INTERVAL' ? 'snapshot interval' : 'before a regime-change reset'})`,
    });
    const metrics = { trades_seen: table.tradesSeen, states_visited: Object.keys(table.entries).length, epsilon: table.epsilon };
    try {
      await this.complete(model, version.id, snapshot, table, metrics);
    } catch (error) {
      await this.registry.failVersion(version.id, `snapshot registration failed: ${(error as Error).message}`);
      throw error;
    }
  }

  private async complete(
    model: RegisteredModelEntity,
    versionId: string,
    snapshot: ClaimedSnapshot,
    table: QTable,
    metrics: Record<string, number>,
  ): Promise<void> {
    const asSnapshot = { gate: null, maxShadows: Infinity, kind: null, snapshot: true };
    await this.registry.completeVersion(
      versionId,
      { artifact: tableToArtifact(table), metrics },
      async (tx, completed) => {
        await tx.query(`UPDATE rl_snapshots SET model_version_id = $2, pending_q_table = NULL, registered_at = now() WHERE id = $1`, [
          snapshot.id,
          completed.id,
        ]);
        await this.events.append(tx, {
          type: 'rl.snapshot',
          modelName: model.name,
          modelVersionId: completed.id,
          payload: {
            model: model.name,
            version: completed.version,
            snapshotId: snapshot.id,
            reason: snapshot.reason,
            epoch: snapshot.epoch,
            tradesSeen: snapshot.trades_seen,
          },
        });
      },
      asSnapshot,
    );
  }
}
