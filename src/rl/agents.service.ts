/**
 * The RL agents in the live loop. An agent is a registered model of family rl_meta_strategy or
 * rl_position_sizing; its ACTIVE version's Q-table is copied into a live table (live-agents.ts)
 * that answers decisions and learns from every closed trade:
 *
 * - decisions: `selectStrategy` (meta-strategy: ε-greedy pick, softmax weights with the policy's
 *   temperature), and through DecisionService's seam (decision-agents.ts) `strategyWeights` and
 *   `positionSizeMultiplier` (whose safety clamp from policy.risk_limits follows the agent's choice).
 *   Each answer carries the `decision` JSON the trade should carry.
 * - learning: `learnFromTrade` runs inside the transaction that closes a trade (the trades hook
 *   tradeOutcomeWillCommit): under the live row's lock it records the transition (once per trade and
 *   agent) and applies the Q-update with the policy's learning rate, discount and ε decay. A decision
 *   the agent cannot have made (an unknown state value or action, another family's model) refuses
 *   the close with nothing written.
 * - snapshots: every policy.rl_maintenance.snapshot_interval_trades learned trades the table is
 *   copied and registered as a version (snapshots.ts, event rl.snapshot).
 * - regime changes: the system learns of one from `signalRegimeChange(regime)` — the orchestrator's
 *   regime detector calls it with the regime it now sees (calling it with an unchanged regime does
 *   nothing, so it may call on every bar). When the regime differs from the last one signalled and
 *   policy.rl_maintenance.reset_on_regime_change holds, the table is archived as a snapshot and reset
 *   with ε = 0.5 (event rl.reset); the first regime ever signalled is only recorded.
 * - offline evaluation: `replayEvaluation` replays the transitions learned after a version was taken
 *   through its table (replay method, plugins/rl/replay-evaluation.ts).
 */
import type { DataSource, EntityManager } from 'typeorm';
import type { ModelVersionEntity } from '../entities/model-version.entity';
import { RegisteredModelEntity } from '../entities/registered-model.entity';
import { RL_FAMILIES, RlAgentEntity, type RlFamily } from '../entities/rl-agent.entity';
import { RlSnapshotEntity, type RlSnapshotReason } from '../entities/rl-snapshot.entity';
import type { TradeEntity } from '../entities/trade.entity';
import { parseHyperparameters } from '../plugins/base/hyperparameters';
import type { PolicyTransition } from '../plugins/contract';
import { ConflictError, InvalidInputError, ModelNotReadyError, quote } from '../lib/errors';
import { isMarketRegime, MARKET_REGIMES, type MarketRegime } from '../lib/market-vocabulary';
import {
  actionIndex,
  applyOutcome,
  chooseAction,
  createQTable,
  evaluateReplay,
  parsePositionSizingAction,
  qValuesOf,
  resetTable,
  selectStrategy,
  stateKey,
  tableFromArtifact,
  tableToArtifact,
  validateTransitions,
  withHyperparameters,
  type AgentState,
  type MetaStrategyParams,
  type MetaStrategyState,
  type PositionSizingAction,
  type PositionSizingState,
  type QTable,
  type ReplayEvaluation,
  type Strategy,
} from '../plugins/rl';
import type { EventsService } from '../platform/events/events.service';
import type { LifecycleService } from '../registry/lifecycle.service';
import type { PolicyService } from '../platform/policy/policy.service';
import type { RegistryService } from '../registry/registry.service';
import { isRlFamily, RL_AGENT_KINDS, type LiveAgent, type RlLiveAgents } from './live-agents';
import { withPolicyParams } from './agent-policy';
import type { RlSnapshots } from './snapshots';
import {
  agentDecisionsOf,
  creditedAction,
  decisionJson,
  metaStrategyTradeReward,
  positionSizingTradeReward,
  type AgentDecision,
} from './trade-decisions';

/** ε after a regime-change reset: the agent re-explores. */
const RESET_EPSILON = 0.5;

/** The agent that answered, as every decision reports it. */
export interface AgentRef {
  model: string;
  family: RlFamily;
  /** The ACTIVE version the live table descends from. */
  version: number;
  epoch: number;
  tradesSeen: number;
}

export interface StrategyAnswer {
  agent: AgentRef;
  strategy: Strategy;
  explored: boolean;
  epsilon: number;
  qValues: Record<Strategy, number>;
  weights: Record<Strategy, number>;
  temperature: number;
  decision: Record<string, unknown>;
}

export interface StrategyValuesAnswer {
  agent: AgentRef;
  qValues: Record<Strategy, number>;
  temperature: number;
  /** The decision to carry with the trade: the state, without an action (the trade's strategy is credited). */
  decision: Record<string, unknown>;
}

export interface SizeChoice {
  agent: AgentRef;
  /** The agent's own choice, the action credited when the trade closes. */
  action: string;
  proposed: PositionSizingAction;
  /** The proposed multiplier, at most policy.risk_limits.max_position_multiplier. */
  sizeMultiplier: number;
  /** The cap when it cut the proposal. */
  cappedAt: number | null;
  explored: boolean;
  qValue: number;
  epsilon: number;
  decision: Record<string, unknown>;
}

/** The ACTIVE position-sizing agent has learned from too few trades to answer (policy.rl_maintenance.min_trades_before_serving). */
export interface SizeWarmUp {
  agent: AgentRef;
  /** The state the agent would have decided in: the trade is learned in it, with the action the answer's size maps to. */
  state: PositionSizingState;
  tradesNeeded: number;
}

export interface RegimeChangeAnswer {
  agent: AgentRef;
  previousRegime: MarketRegime | null;
  regime: MarketRegime;
  /** True when the table was archived and reset. */
  reset: boolean;
  /** The snapshot holding the archived table. */
  snapshotId: string | null;
}

export interface ReplayAnswer extends ReplayEvaluation {
  version: ModelVersionEntity;
  modelName: string;
  /** The transitions replayed: those learned after the version was taken (ids > afterTransitionId). */
  afterTransitionId: string | null;
}

export interface LiveAgentStatus {
  model: RegisteredModelEntity;
  row: RlAgentEntity;
}

export class RlAgentsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly registry: RegistryService,
    private readonly lifecycle: LifecycleService,
    private readonly events: EventsService,
    private readonly policy: PolicyService,
    private readonly live: RlLiveAgents,
    private readonly snapshots: RlSnapshots,
    private readonly log: (message: string) => void,
    private readonly random: () => number = Math.random,
  ) {}

  /**
   * A new agent version with an empty table, made ACTIVE: the registered model is created when new.
   * Hyperparameters: the family's defaults, then the policy's rl_maintenance, then `hyperparameters`.
   */
  async createAgent(input: {
    name: string;
    family: string;
    hyperparameters?: Record<string, unknown> | null;
    description?: string | null;
  }): Promise<ModelVersionEntity> {
    if (!isRlFamily(input.family)) {
      throw new InvalidInputError(`expects family ${RL_FAMILIES.join(' or ')}, but got ${quote(input.family)}`, { field: 'family' });
    }
    const { definition, hyperparameters: schema } = RL_AGENT_KINDS[input.family];
    const { rl_maintenance } = await this.policy.document();
    const fromPolicy = withPolicyParams(schema, {}, rl_maintenance);
    const hyperparameters = parseHyperparameters(schema, { ...fromPolicy, ...(input.hyperparameters ?? {}) });
    const model = await this.registeredModel(input.name, input.family);
    const table = createQTable(definition, hyperparameters);
    const version = await this.registry.beginVersion({
      registeredModel: model,
      source: 'TRAINED',
      hyperparameters,
      trainingSpec: { emptyTable: true },
      description: input.description ?? 'a new agent with an empty Q-table',
    });
    try {
      await this.registry.completeVersion(version.id, {
        artifact: tableToArtifact(table),
        metrics: { trades_seen: 0, states_visited: 0, epsilon: table.epsilon },
      });
    } catch (error) {
      await this.registry.failVersion(version.id, (error as Error).message);
      throw error;
    }
    return this.lifecycle.promoteModel({ model: model.name, version: version.version, reason: 'new agent' });
  }

  async selectStrategy(input: { model?: string | null; state: MetaStrategyState }): Promise<StrategyAnswer> {
    const agent = await this.live.read(await this.resolveAgent('rl_meta_strategy', input.model));
    const temperature = await this.temperature();
    const table = agent.row.qTable as QTable<MetaStrategyParams>;
    const selection = selectStrategy(table, input.state, this.random, temperature);
    const ref = agentRef(agent);
    return {
      agent: ref,
      strategy: selection.strategy,
      explored: selection.explored,
      epsilon: selection.epsilon,
      qValues: selection.qValues,
      weights: selection.strategyWeights,
      temperature,
      decision: decisionJson({
        family: 'rl_meta_strategy',
        model: ref.model,
        version: ref.version,
        state: { ...input.state },
        action: selection.strategy,
      }),
    };
  }

  /**
   * The ACTIVE meta-strategy agent's Q-values in `state` and the policy's temperature, for weighting
   * strategies (decision-agents.ts); null when no agent is ACTIVE.
   */
  async strategyValues(input: { model?: string | null; state: MetaStrategyState }): Promise<StrategyValuesAnswer | null> {
    const model = await this.activeAgentModel('rl_meta_strategy', input.model);
    if (!model) return null;
    const agent = await this.live.read(model);
    const qValues = qValuesOf(agent.row.qTable, { ...input.state });
    const ref = agentRef(agent);
    return {
      agent: ref,
      qValues: Object.fromEntries(agent.row.qTable.actions.map((a, i) => [a, qValues[i]])) as Record<Strategy, number>,
      temperature: await this.temperature(),
      decision: decisionJson({ family: 'rl_meta_strategy', model: ref.model, version: ref.version, state: { ...input.state } }),
    };
  }

  /**
   * The ACTIVE position-sizing agent's ε-greedy choice for `state`, its size multiplier capped at
   * policy.risk_limits.max_position_multiplier; null when no agent is ACTIVE; a SizeWarmUp while its
   * live table has learned from fewer than policy.rl_maintenance.min_trades_before_serving trades (an
   * empty table would only guess). The caller clamps a choice by the other risk limits
   * (DecisionService.positionSizeMultiplier).
   */
  async chooseSize(input: { model?: string | null; state: PositionSizingState }): Promise<SizeChoice | SizeWarmUp | null> {
    const model = await this.activeAgentModel('rl_position_sizing', input.model);
    if (!model) return null;
    const agent = await this.live.read(model);
    const { risk_limits, rl_maintenance } = await this.policy.document();
    const { max_position_multiplier } = risk_limits;
    if (agent.row.qTable.tradesSeen < rl_maintenance.min_trades_before_serving) {
      return { agent: agentRef(agent), state: input.state, tradesNeeded: rl_maintenance.min_trades_before_serving };
    }
    const choice = chooseAction(agent.row.qTable, { ...input.state }, this.random);
    const proposed = parsePositionSizingAction(choice.action);
    const ref = agentRef(agent);
    return {
      agent: ref,
      action: choice.action,
      proposed,
      sizeMultiplier: Math.min(proposed.sizeMultiplier, max_position_multiplier),
      cappedAt: proposed.sizeMultiplier > max_position_multiplier ? max_position_multiplier : null,
      explored: choice.explored,
      qValue: choice.qValues[choice.actionIndex],
      epsilon: choice.epsilon,
      decision: decisionJson({
        family: 'rl_position_sizing',
        model: ref.model,
        version: ref.version,
        state: { ...input.state },
        action: choice.action,
      }),
    };
  }

  /**
   * Learns from a trade being closed, inside the closing transaction `tx` (trades hook
   * tradeOutcomeWillCommit); a snapshot it takes is registered after the commit (registerSnapshotsOf).
   */
  async learnFromTrade(trade: TradeEntity, tx: EntityManager): Promise<void> {
    const { rl_maintenance } = await this.policy.document(tx);
    for (const decision of agentDecisionsOf(trade.decision)) {
      const field = `decision.${decision.family}`;
      const model = await tx.findOneBy(RegisteredModelEntity, { name: decision.model });
      if (!model || model.family !== decision.family) {
        throw new InvalidInputError(
          `${field}.model expects a registered ${decision.family} agent, but got ${quote(String(decision.model))}`,
          { field: `${field}.model` },
        );
      }
      const agent = await this.live.lock(tx, model);
      if (!agent) {
        this.log(`rl: trade ${trade.id} names agent "${model.name}", which has no ACTIVE version; nothing learned`);
        continue;
      }
      const { hyperparameters } = RL_AGENT_KINDS[decision.family];
      const table = withHyperparameters(
        agent.row.qTable,
        withPolicyParams(hyperparameters, agent.row.qTable.hyperparameters, rl_maintenance),
      );
      stateKey(table.stateSpace, decision.state, `${field}.state`);
      const { action, field: actionField } = creditedAction(decision, trade);
      actionIndex(table, action, actionField);
      const reward =
        decision.family === 'rl_meta_strategy'
          ? metaStrategyTradeReward(trade, await this.strategyWinRate(tx, decision.model, action))
          : positionSizingTradeReward(trade);
      const transition = { state: { ...decision.state }, action, reward, nextState: await this.nextState(tx, trade, decision) };
      await this.learn(tx, agent, table, transition, trade.id, rl_maintenance.snapshot_interval_trades);
    }
  }

  /**
   * After a trade that informed an agent (trades hook tradeOutcomeDidRecord): registers every pending
   * snapshot as a version, the one its close may have taken and earlier failures. A trade no agent
   * decided cannot have taken one, so it costs nothing; failures also wait for RL maintenance.
   */
  async registerSnapshotsOf(trade: TradeEntity): Promise<void> {
    if (agentDecisionsOf(trade.decision).length) await this.snapshots.registerPending();
  }

  async signalRegimeChange(input: { regime: string; model?: string | null }): Promise<RegimeChangeAnswer[]> {
    if (!isMarketRegime(input.regime)) {
      throw new InvalidInputError(`regime expects one of ${MARKET_REGIMES.join(', ')}, but got ${quote(String(input.regime))}`, {
        field: 'regime',
      });
    }
    const regime = input.regime;
    const models = input.model ? [await this.resolveAgent(undefined, input.model)] : await this.activeAgentModels();
    const { rl_maintenance } = await this.policy.document();
    const answers: RegimeChangeAnswer[] = [];
    for (const model of models) {
      const answer = await this.dataSource.transaction(async (tx) => {
        const agent = await this.live.lock(tx, model);
        if (!agent) return null;
        const previousRegime = agent.row.regime as MarketRegime | null;
        if (previousRegime === regime) return { agent: agentRef(agent), previousRegime, regime, reset: false, snapshotId: null };
        if (previousRegime === null || !rl_maintenance.reset_on_regime_change) {
          await this.live.save(tx, agent.row, { regime });
          return { agent: agentRef(agent), previousRegime, regime, reset: false, snapshotId: null };
        }
        const snapshotId = await this.snapshots.take(tx, agent.row, agent.row.qTable, 'REGIME_CHANGE');
        const row = await this.live.save(tx, agent.row, {
          qTable: resetTable(agent.row.qTable, RESET_EPSILON),
          epoch: agent.row.epoch + 1,
          tradesSinceSnapshot: 0,
          regime,
        });
        await this.events.append(tx, {
          type: 'rl.reset',
          modelName: model.name,
          modelVersionId: agent.active.id,
          payload: {
            model: model.name,
            previousRegime,
            regime,
            epoch: row.epoch,
            epsilon: RESET_EPSILON,
            archivedSnapshotId: snapshotId,
            tradesSeen: agent.row.qTable.tradesSeen,
          },
        });
        return { agent: agentRef({ ...agent, row }), previousRegime, regime, reset: true, snapshotId };
      });
      if (!answer) continue;
      if (answer.reset) await this.snapshots.registerPending(model.id);
      answers.push(answer);
    }
    return answers;
  }

  /**
   * Offline evaluation of an agent version by replaying the transitions its agent learned after the
   * version was taken (after its snapshot for a snapshot version, after its creation otherwise): how
   * often its greedy choice agrees with the logged decision, and the mean reward where it does.
   */
  async replayEvaluation(modelVersionId: string): Promise<ReplayAnswer> {
    const version = await this.registry.getModelVersion(modelVersionId);
    if (!isRlFamily(version.family)) {
      throw new InvalidInputError(
        `expects a version of an RL agent (${RL_FAMILIES.join(', ')}), but version ${version.version} is ${version.family}`,
        {
          field: 'modelVersionId',
        },
      );
    }
    const model = await this.dataSource.getRepository(RegisteredModelEntity).findOneByOrFail({ id: version.registeredModelId });
    const { definition, hyperparameters } = RL_AGENT_KINDS[version.family];
    const table = tableFromArtifact(await this.registry.loadArtifact(version), definition, hyperparameters);
    const [snapshot] = await this.dataSource.query('SELECT last_transition_id FROM rl_snapshots WHERE model_version_id = $1', [version.id]);
    const afterTransitionId: string | null = snapshot
      ? (snapshot.last_transition_id ?? '0')
      : ((
          await this.dataSource.query('SELECT max(id) AS id FROM rl_transitions WHERE registered_model_id = $1 AND learned_at <= $2', [
            model.id,
            version.createdAt,
          ])
        )[0].id ?? '0');
    const rows: { state: AgentState; action: string; reward: number }[] = await this.dataSource.query(
      'SELECT state, action, reward FROM rl_transitions WHERE registered_model_id = $1 AND id > $2 ORDER BY id',
      [model.id, afterTransitionId],
    );
    return { ...evaluateReplay(table, rows), version, modelName: model.name, afterTransitionId };
  }

  /** Every live agent, by model name. */
  async liveAgents(): Promise<LiveAgentStatus[]> {
    const rows = await this.dataSource.getRepository(RlAgentEntity).find();
    const models = await this.dataSource.getRepository(RegisteredModelEntity).findBy(rows.map((row) => ({ id: row.registeredModelId })));
    const byId = new Map(models.map((model) => [model.id, model]));
    return rows.map((row) => ({ model: byId.get(row.registeredModelId)!, row })).sort((a, b) => a.model.name.localeCompare(b.model.name));
  }

  snapshotsOf(registeredModelId: string): Promise<RlSnapshotEntity[]> {
    return this.dataSource.getRepository(RlSnapshotEntity).find({ where: { registeredModelId }, order: { createdAt: 'ASC', id: 'ASC' } });
  }

  /**
   * Records the transition (once per trade and agent), applies the Q-update and, at the snapshot
   * interval, takes a snapshot — all in `tx` under the live row's lock.
   */
  private async learn(
    tx: EntityManager,
    agent: LiveAgent,
    table: QTable,
    transition: PolicyTransition,
    tradeId: string,
    interval: number,
  ): Promise<void> {
    validateTransitions(table, [transition]);
    const inserted: { id: string }[] = await tx.query(
      `INSERT INTO rl_transitions (registered_model_id, trade_id, epoch, state, action, reward, next_state)
       VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7::jsonb)
       ON CONFLICT (registered_model_id, trade_id) DO NOTHING RETURNING id`,
      [
        agent.model.id,
        tradeId,
        agent.row.epoch,
        JSON.stringify(transition.state),
        transition.action,
        transition.reward,
        transition.nextState ? JSON.stringify(transition.nextState) : null,
      ],
    );
    if (inserted.length === 0) return;
    const learned = applyOutcome(table, transition);
    const due = agent.row.tradesSinceSnapshot + 1 >= interval;
    await this.live.save(tx, agent.row, { qTable: learned, tradesSinceSnapshot: due ? 0 : agent.row.tradesSinceSnapshot + 1 });
    if (due) await this.snapshots.take(tx, agent.row, learned, 'INTERVAL' satisfies RlSnapshotReason);
  }

  /** Share of wins among the agent's last 20 closed trades of the decision's strategy (this trade included). */
  private async strategyWinRate(tx: EntityManager, model: string, strategy: string): Promise<number> {
    const [row] = await tx.query(
      `SELECT avg(CASE WHEN success THEN 1.0 ELSE 0.0 END)::float8 AS rate FROM (
         SELECT success FROM trades
         WHERE status = 'CLOSED' AND decision -> 'rl_meta_strategy' ->> 'model' = $1
           AND coalesce(decision -> 'rl_meta_strategy' ->> 'action', strategy) = $2
         ORDER BY closed_at DESC, id DESC LIMIT 20) recent`,
      [model, strategy],
    );
    return row.rate ?? 0.5;
  }

  /** The state of the agent's next decision after this trade's (the next trade it decided), if one exists and is valid. */
  private async nextState(tx: EntityManager, trade: TradeEntity, decision: AgentDecision): Promise<AgentState | undefined> {
    const [row] = await tx.query(
      `SELECT decision -> $1::text -> 'state' AS state FROM trades
       WHERE decision -> $1::text ->> 'model' = $2 AND (entry_time, id) > ($3, $4::uuid)
       ORDER BY entry_time, id LIMIT 1`,
      [decision.family, decision.model, trade.entryTime, trade.id],
    );
    if (!row?.state) return undefined;
    try {
      stateKey(RL_AGENT_KINDS[decision.family].definition.stateSpace, row.state);
      return row.state as AgentState;
    } catch {
      return undefined;
    }
  }

  private async temperature(): Promise<number> {
    return (await this.policy.document()).rl_maintenance.temperature;
  }

  private async registeredModel(name: string, family: RlFamily): Promise<RegisteredModelEntity> {
    const existing = await this.dataSource.getRepository(RegisteredModelEntity).findOneBy({ name });
    if (!existing) return this.registry.createRegisteredModel({ name, family });
    if (existing.family !== family)
      throw new ConflictError(`model ${quote(name)} is of family ${existing.family}, not ${family}`, { field: 'name' });
    return existing;
  }

  /** The named agent (checked to be of `family` when given), or the only agent of `family` with an ACTIVE version. */
  private async resolveAgent(family: RlFamily | undefined, name?: string | null): Promise<RegisteredModelEntity> {
    if (name) {
      const model = await this.registry.getRegisteredModel(name);
      if (!isRlFamily(model.family) || (family && model.family !== family)) {
        throw new InvalidInputError(`model expects a ${family ?? RL_FAMILIES.join(' or ')} agent, but ${quote(name)} is ${model.family}`, {
          field: 'model',
        });
      }
      return model;
    }
    const model = await this.activeAgentModel(family!, null);
    if (!model)
      throw new ModelNotReadyError(`no ${family} agent is ACTIVE; create one with createRlAgent or promote a version`, { field: 'model' });
    return model;
  }

  /** The named agent, or the only ACTIVE one of `family`; null when none is ACTIVE. */
  private async activeAgentModel(family: RlFamily, name?: string | null): Promise<RegisteredModelEntity | null> {
    if (name) return this.resolveAgent(family, name);
    const models = (await this.activeAgentModels()).filter((model) => model.family === family);
    if (models.length > 1) {
      throw new InvalidInputError(
        `expects one ACTIVE ${family} agent to answer, but ${models.length} are (${models.map((m) => m.name).join(', ')}); retire the others, or name one where the request takes a model`,
        { field: 'model' },
      );
    }
    return models[0] ?? null;
  }

  private activeAgentModels(): Promise<RegisteredModelEntity[]> {
    return this.dataSource
      .getRepository(RegisteredModelEntity)
      .createQueryBuilder('m')
      .where('m.family IN (:...families)', { families: RL_FAMILIES })
      .andWhere(`EXISTS (SELECT 1 FROM model_versions v WHERE v.registered_model_id = m.id AND v.status = 'ACTIVE')`)
      .orderBy('m.name')
      .getMany();
  }
}

function agentRef(agent: LiveAgent): AgentRef {
  return {
    model: agent.model.name,
    family: agent.row.family,
    version: agent.active.version,
    epoch: agent.row.epoch,
    tradesSeen: agent.row.qTable.tradesSeen,
  };
}
