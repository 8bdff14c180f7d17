import { Arg, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { ModelVersion } from '../registry/model.types';
import {
  AgentReplayEvaluation,
  CreateRlAgentInput,
  MetaStrategyStateInput,
  RegimeChange,
  RlAgent,
  RlSnapshot,
  StrategySelection,
} from './rl.types';
import type { LiveAgentStatus, StrategyAnswer } from './agents.service';
import { MarketRegimeEnum } from '../schema/enums';
import type { Context } from '../schema/context';

function strategyValues(values: Record<string, number>) {
  return Object.entries(values).map(([strategy, value]) => ({ strategy, value }));
}

function toStrategySelection(answer: StrategyAnswer): StrategySelection {
  return { ...answer, qValues: strategyValues(answer.qValues), weights: strategyValues(answer.weights) };
}

function toRlAgent({ model, row }: LiveAgentStatus): RlAgent {
  return {
    model: model.name,
    family: row.family,
    registeredModelId: row.registeredModelId,
    sourceVersionId: row.sourceVersionId,
    epoch: row.epoch,
    tradesSeen: row.qTable.tradesSeen,
    epsilon: row.qTable.epsilon,
    statesVisited: Object.keys(row.qTable.entries).length,
    tradesSinceSnapshot: row.tradesSinceSnapshot,
    regime: row.regime,
    updatedAt: row.updatedAt,
  };
}

@Resolver(() => RlAgent)
export class RlAgentResolver {
  @Authorized('operator')
  @Mutation(() => ModelVersion, {
    description: 'A new RL agent version with an empty Q-table, made ACTIVE (the registered model is created when new).',
  })
  createRlAgent(@Arg('input') input: CreateRlAgentInput, @Ctx() { services }: Context) {
    return services.rlAgents.createAgent(input);
  }

  @Authorized('trader')
  @Mutation(() => StrategySelection, {
    description:
      'The ACTIVE meta-strategy agent’s ε-greedy choice of strategy in `state`, with its Q-values and softmax weights (policy temperature).',
  })
  async selectStrategy(
    @Arg('state', () => MetaStrategyStateInput) state: MetaStrategyStateInput,
    @Ctx() { services }: Context,
    @Arg('model', () => String, { nullable: true, description: 'The agent; by default the only ACTIVE rl_meta_strategy agent.' })
    model?: string,
  ) {
    return toStrategySelection(await services.rlAgents.selectStrategy({ model, state: { ...state } }));
  }

  @Authorized('trader')
  @Mutation(() => [RegimeChange], {
    description:
      'Tells the RL agents (all ACTIVE ones, or `model`) the market regime now. A regime other than the last one signalled archives each table as a snapshot and resets it with ε = 0.5 when policy.rl_maintenance.reset_on_regime_change (event rl.reset); the same regime again changes nothing; the first one is only recorded.',
  })
  signalRegimeChange(
    @Arg('regime', () => MarketRegimeEnum) regime: string,
    @Ctx() { services }: Context,
    @Arg('model', () => String, { nullable: true }) model?: string,
  ) {
    return services.rlAgents.signalRegimeChange({ regime, model });
  }

  @Authorized('viewer')
  @Query(() => [RlAgent], { description: 'The live Q-table of every RL agent that has answered or learned.' })
  async rlAgents(@Ctx() { services }: Context) {
    return (await services.rlAgents.liveAgents()).map(toRlAgent);
  }

  @Authorized('viewer')
  @Query(() => AgentReplayEvaluation, {
    description:
      'Offline evaluation of an RL agent version (a snapshot, or any version of an agent) by replaying the transitions its agent learned from logged trades after the version was taken.',
  })
  async agentReplayEvaluation(@Arg('modelVersionId', () => ID) modelVersionId: string, @Ctx() { services }: Context) {
    const answer = await services.rlAgents.replayEvaluation(modelVersionId);
    return {
      ...answer,
      modelVersion: answer.version,
      greedyMeanReward: answer.greedyMeanReward ?? null,
      loggedMeanReward: answer.loggedMeanReward ?? null,
    };
  }

  @FieldResolver(() => ModelVersion, { description: 'The ACTIVE version the live table was loaded from.' })
  sourceVersion(@Root() agent: RlAgent, @Ctx() { loaders }: Context) {
    return loaders.modelVersion.load(agent.sourceVersionId);
  }

  @FieldResolver(() => [RlSnapshot], { description: 'Snapshots of this agent, oldest first.' })
  snapshots(@Root() agent: RlAgent, @Ctx() { services }: Context) {
    return services.rlAgents.snapshotsOf(agent.registeredModelId);
  }
}

@Resolver(() => RlSnapshot)
export class RlSnapshotResolver {
  @FieldResolver(() => ModelVersion, { nullable: true, description: 'The registered version holding the table; null while pending.' })
  modelVersion(@Root() snapshot: RlSnapshot, @Ctx() { loaders }: Context) {
    return snapshot.modelVersionId ? loaders.modelVersion.load(snapshot.modelVersionId) : null;
  }
}
