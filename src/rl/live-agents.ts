/**
 * The live Q-tables (table rl_agents). An agent's live table is a copy of its ACTIVE version's table
 * that keeps learning from trades. It is (re)loaded from the artifact when the agent has none or when
 * another version became ACTIVE (a promotion or rollback makes that version's table live). Writers
 * take the row lock (`lock`) inside their transaction, so concurrent outcomes apply one after another
 * and none is lost; readers (`read`) see the last committed table.
 */
import type { DataSource, EntityManager } from 'typeorm';
import { ModelVersionEntity } from '../entities/model-version.entity';
import type { RegisteredModelEntity } from '../entities/registered-model.entity';
import { RL_FAMILIES, RlAgentEntity, type RlFamily } from '../entities/rl-agent.entity';
import { InvalidInputError, ModelNotReadyError } from '../lib/errors';
import {
  metaStrategyAgent,
  metaStrategyParams,
  positionSizingAgent,
  positionSizingParams,
  tableFromArtifact,
  type QAgentDefinition,
  type QTable,
} from '../plugins/rl';
import type { RegistryService } from '../registry/registry.service';
import type { ZodType } from 'zod';

export interface RlAgentKind {
  definition: QAgentDefinition;
  hyperparameters: ZodType<any>;
}

export const RL_AGENT_KINDS: Record<RlFamily, RlAgentKind> = {
  rl_meta_strategy: { definition: metaStrategyAgent, hyperparameters: metaStrategyParams },
  rl_position_sizing: { definition: positionSizingAgent, hyperparameters: positionSizingParams },
};

export function isRlFamily(family: string): family is RlFamily {
  return (RL_FAMILIES as readonly string[]).includes(family);
}

/** A live agent: its registered model, the row, and the ACTIVE version it descends from. */
export interface LiveAgent {
  model: RegisteredModelEntity;
  row: RlAgentEntity;
  active: ModelVersionEntity;
}

export class RlLiveAgents {
  constructor(
    private readonly dataSource: DataSource,
    private readonly registry: RegistryService,
  ) {}

  /** The committed live table of `model`, loaded from its ACTIVE version when needed. */
  async read(model: RegisteredModelEntity): Promise<LiveAgent> {
    const agent = await this.dataSource.transaction((tx) => this.load(tx, model, false));
    if (!agent) throw this.notReady(model);
    return agent;
  }

  /**
   * The live table of `model` under its row lock, for a change in `tx`; null when the model has no
   * ACTIVE version (nothing is live).
   */
  lock(tx: EntityManager, model: RegisteredModelEntity): Promise<LiveAgent | null> {
    return this.load(tx, model, true);
  }

  async save(
    tx: EntityManager,
    row: RlAgentEntity,
    changes: Partial<Pick<RlAgentEntity, 'qTable' | 'epoch' | 'tradesSinceSnapshot' | 'regime'>>,
  ): Promise<RlAgentEntity> {
    await tx
      .createQueryBuilder()
      .update(RlAgentEntity)
      .set({ ...changes, updatedAt: () => 'now()' })
      .where('registered_model_id = :id', { id: row.registeredModelId })
      .execute();
    return { ...row, ...changes };
  }

  notReady(model: RegisteredModelEntity): ModelNotReadyError {
    return new ModelNotReadyError(
      `agent "${model.name}" (${model.family}) has no ACTIVE version; promote one or create it with createRlAgent`,
      {
        field: 'model',
      },
    );
  }

  private async load(tx: EntityManager, model: RegisteredModelEntity, forUpdate: boolean): Promise<LiveAgent | null> {
    if (!isRlFamily(model.family)) {
      throw new InvalidInputError(`expects a model of family ${RL_FAMILIES.join(' or ')}, but "${model.name}" is ${model.family}`, {
        field: 'model',
      });
    }
    const active = await tx.findOneBy(ModelVersionEntity, { registeredModelId: model.id, status: 'ACTIVE' });
    if (!active) return null;
    const find = () =>
      tx.findOne(RlAgentEntity, {
        where: { registeredModelId: model.id },
        ...(forUpdate ? { lock: { mode: 'pessimistic_write' as const } } : {}),
      });
    let row = await find();
    if (!row || row.sourceVersionId !== active.id) {
      const table = await this.tableOf(model.family, active);
      // A concurrent loader of the same version wins or loses harmlessly: both write the same table.
      await tx.query(
        `INSERT INTO rl_agents (registered_model_id, family, source_version_id, q_table)
         VALUES ($1, $2, $3, $4::jsonb)
         ON CONFLICT (registered_model_id) DO UPDATE
           SET source_version_id = EXCLUDED.source_version_id, q_table = EXCLUDED.q_table, trades_since_snapshot = 0, updated_at = now()
           WHERE rl_agents.source_version_id <> EXCLUDED.source_version_id`,
        [model.id, model.family, active.id, JSON.stringify(table)],
      );
      row = await find();
    }
    return { model, row: row!, active };
  }

  private async tableOf(family: RlFamily, version: ModelVersionEntity): Promise<QTable> {
    const { definition, hyperparameters } = RL_AGENT_KINDS[family];
    return tableFromArtifact(await this.registry.loadArtifact(version), definition, hyperparameters);
  }
}
