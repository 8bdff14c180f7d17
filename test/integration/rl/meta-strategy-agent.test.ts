/**
 * The meta-strategy agent in the live loop over real HTTP: created ACTIVE, answering selectStrategy
 * and strategyWeights, learning from closed trades with the policy's hyperparameters, snapshotted as
 * versions every N trades, archived and reset on a regime change, evaluated offline by replay, and
 * reloaded when another version is promoted. Bad decisions are refused with nothing written.
 */
import {
  AgentReplayEvaluationDocument,
  CreateRlAgentDocument,
  EventsDocument,
  LogTradeExecutionDocument,
  LogTradeOutcomeDocument,
  PromoteModelDocument,
  RlAgentsDocument,
  SelectStrategyDocument,
  SignalRegimeChangeDocument,
  StrategyWeightsDocument,
  UpdatePolicyPatchDocument,
  type MarketRegime,
  type MetaStrategyStateInput,
  type Strategy,
} from '../../generated/graphql';
import { RegisteredModelEntity } from '../../../src/entities/registered-model.entity';
import { TradeEntity } from '../../../src/entities/trade.entity';
import { InvalidInputError } from '../../../src/lib/errors';
import { startTestApp, type TestApp } from '../../helpers/app';
import { dataOf, errorOf } from '../../helpers/graphql';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ worker: false });
  // ε stays exactly 0 for an agent created with ε 0 (the policy's floor would otherwise raise it to 0.01).
  dataOf(await t.as('operator')(UpdatePolicyPatchDocument, { patch: { rl_maintenance: { min_epsilon: 0 } } }));
});
afterAll(async () => {
  await t?.close();
});

const STATE: MetaStrategyStateInput = { regime: 'TRENDING', volatility: 'LOW', liquidity: 'HIGH', performance: 'NEUTRAL' };
/** The same state as the service stores it (enum values as the agent names them). */
const STORED_STATE = { regime: 'TRENDING', volatility: 'LOW', liquidity: 'HIGH', performance: 'NEUTRAL' };
const HOUR = 3600_000;
const T0 = Date.parse('2026-03-02T14:30:00Z');
let tradeCount = 0;

async function trade(
  decision: Record<string, unknown>,
  outcome: { exitPrice: number; hours: number; maxDrawdown?: number; strategy?: string },
) {
  const clientTradeId = `meta-${++tradeCount}`;
  const entryTime = new Date(T0 + tradeCount * 48 * HOUR);
  dataOf(
    await t.as('trader')(LogTradeExecutionDocument, {
      input: {
        clientTradeId,
        symbol: 'SPY',
        side: 'LONG',
        quantity: 1,
        entryPrice: 100,
        entryTime: entryTime.toISOString(),
        strategy: outcome.strategy,
        decision,
      },
    }),
  );
  return t.as('trader')(LogTradeOutcomeDocument, {
    input: {
      clientTradeId,
      exitPrice: outcome.exitPrice,
      exitTime: new Date(entryTime.getTime() + outcome.hours * HOUR).toISOString(),
      maxDrawdown: outcome.maxDrawdown,
    },
  });
}

const qOf = (values: { strategy: string; value: number }[], strategy: Strategy) => values.find((v) => v.strategy === strategy)!.value;

async function agents() {
  return dataOf(await t.as('viewer')(RlAgentsDocument)).rlAgents;
}

async function count(table: string): Promise<number> {
  const [row] = await t.dataSource.query(`SELECT count(*)::int AS n FROM ${table}`);
  return row.n;
}

describe('the meta-strategy agent', () => {
  it('answers nothing before an agent is ACTIVE: selectStrategy is MODEL_NOT_READY, strategyWeights is the rule’s', async () => {
    expect(errorOf(await t.as('trader')(SelectStrategyDocument, { state: STATE }))).toMatchObject({
      code: 'CONFLICT',
      extensions: expect.objectContaining({ reason: 'MODEL_NOT_READY' }),
    });
    const weights = dataOf(
      await t.as('trader')(StrategyWeightsDocument, {
        input: {
          strategies: [
            { strategy: 'TREND_FOLLOW', confidence: 0.5 },
            { strategy: 'DEFENSIVE', confidence: 0.5 },
          ],
          regime: 'TRENDING',
          portfolio: { pnlPercent7d: 0 },
          market: { annualizedVolatility: 0.1, volumePercentile: 0.9 },
        },
      }),
    ).strategyWeights;
    expect(weights.source).toEqual({ kind: 'RULE', name: 'regime_prior_confidence', version: null });
  });

  it('is created ACTIVE with an empty table and the policy’s hyperparameters', async () => {
    const version = dataOf(
      await t.as('operator')(CreateRlAgentDocument, {
        input: { name: 'meta', family: 'rl_meta_strategy', hyperparameters: { epsilon: 0, epsilonMin: 0 } },
      }),
    ).createRlAgent;
    expect(version).toMatchObject({ version: 1, status: 'ACTIVE', source: 'TRAINED', family: 'rl_meta_strategy', format: 'q-table-json' });
    expect(version.hyperparameters).toMatchObject({ learningRate: 0.1, discount: 0.95, epsilon: 0, temperature: 1 });

    const selection = dataOf(await t.as('trader')(SelectStrategyDocument, { state: STATE })).selectStrategy;
    expect(selection).toMatchObject({
      agent: { model: 'meta', family: 'rl_meta_strategy', version: 1, epoch: 1, tradesSeen: 0 },
      explored: false,
      epsilon: 0,
      temperature: 1,
    });
    expect(selection.qValues.map((v) => v.value)).toEqual([0, 0, 0, 0, 0]);
    selection.weights.forEach((w) => expect(w.value).toBeCloseTo(0.2, 12));
    expect(selection.decision).toEqual({
      rl_meta_strategy: { model: 'meta', version: 1, state: STORED_STATE, action: selection.strategy.toLowerCase() },
    });
  });

  it('learns from a closed trade: Q ← Q + α (reward − Q), reward by the seeds’ formula', async () => {
    const decision = { rl_meta_strategy: { model: 'meta', version: 1, state: STORED_STATE, action: 'breakout' } };
    // +2 % in 6 h with a 1 % drawdown, the strategy's only closed trade (win rate 1):
    // reward = 2 + (24 / 6) × 0.1 − 1 × 2 + (1 − 0.5) × 10 = 5.4; no later decision, so the target is the reward.
    dataOf(await trade(decision, { exitPrice: 102, hours: 6, maxDrawdown: 0.01, strategy: 'breakout' }));
    const selection = dataOf(await t.as('trader')(SelectStrategyDocument, { state: STATE })).selectStrategy;
    expect(qOf(selection.qValues, 'BREAKOUT')).toBeCloseTo(0.1 * 5.4, 10);
    expect(selection.strategy).toBe('BREAKOUT');
    expect(selection.agent.tradesSeen).toBe(1);
    const [transition] = await t.dataSource.query('SELECT action, reward, next_state FROM rl_transitions');
    expect(transition).toEqual({ action: 'breakout', reward: expect.closeTo(5.4, 10), next_state: null });
  });

  it('learns with the learning rate the policy gives now', async () => {
    dataOf(await t.as('operator')(UpdatePolicyPatchDocument, { patch: { rl_maintenance: { learning_rate: 0.5 } } }));
    const decision = { rl_meta_strategy: { model: 'meta', version: 1, state: STORED_STATE, action: 'breakout' } };
    // −1 % in 24 h, no drawdown; breakout has won 1 of 2: reward = −1 + 0.1 − 0 + 0 = −0.9
    dataOf(await trade(decision, { exitPrice: 99, hours: 24, strategy: 'breakout' }));
    const selection = dataOf(await t.as('trader')(SelectStrategyDocument, { state: STATE })).selectStrategy;
    expect(qOf(selection.qValues, 'BREAKOUT')).toBeCloseTo(0.54 + 0.5 * (-0.9 - 0.54), 10);
    dataOf(await t.as('operator')(UpdatePolicyPatchDocument, { patch: { rl_maintenance: { learning_rate: 0.1 } } }));
  });

  it('answers strategyWeights once ACTIVE: softmax(Q / T) over the requested strategies, the trade’s strategy credited', async () => {
    const answer = dataOf(
      await t.as('trader')(StrategyWeightsDocument, {
        input: {
          strategies: [
            { strategy: 'BREAKOUT', confidence: 0.4 },
            { strategy: 'DEFENSIVE', confidence: 0.9 },
          ],
          regime: 'TRENDING',
          portfolio: { pnlPercent7d: 1.5 },
          market: { annualizedVolatility: 0.1, volumePercentile: 0.9 },
          floor: 0,
        },
      }),
    ).strategyWeights;
    expect(answer.source).toEqual({ kind: 'MODEL', name: 'meta', version: 1 });
    const qBreakout = -0.18;
    const breakout = answer.weights.find((w) => w.strategy === 'BREAKOUT')!.weight;
    expect(breakout).toBeCloseTo(Math.exp(qBreakout) / (Math.exp(qBreakout) + 1), 10);
    expect(answer.explanation).toMatch(/softmax of Q \/ 1 in TRENDING · LOW · HIGH · NEUTRAL/);
    expect(answer.decision.rl_meta_strategy).toEqual({ model: 'meta', version: 1, state: STORED_STATE });

    // The weights decision names no strategy: the trade's own strategy is the action learned.
    dataOf(await trade(answer.decision, { exitPrice: 101, hours: 24, strategy: 'defensive' }));
    const [learned] = await t.dataSource.query(`SELECT action FROM rl_transitions ORDER BY id DESC LIMIT 1`);
    expect(learned.action).toBe('defensive');
  });

  it('registers a snapshot as a version every snapshot_interval_trades learned trades (rl.snapshot)', async () => {
    dataOf(await t.as('operator')(UpdatePolicyPatchDocument, { patch: { rl_maintenance: { snapshot_interval_trades: 4 } } }));
    const decision = { rl_meta_strategy: { model: 'meta', version: 1, state: STORED_STATE, action: 'defensive' } };
    expect((await agents())[0].tradesSinceSnapshot).toBe(3);
    dataOf(await trade(decision, { exitPrice: 101, hours: 24, strategy: 'defensive' }));
    const [agent] = await agents();
    expect(agent).toMatchObject({ model: 'meta', tradesSeen: 4, tradesSinceSnapshot: 0 });
    expect(agent.snapshots).toHaveLength(1);
    expect(agent.snapshots[0]).toMatchObject({
      reason: 'INTERVAL',
      epoch: 1,
      tradesSeen: 4,
      modelVersion: { version: 2, status: 'SNAPSHOT', source: 'UPDATED', parent: { version: 1 } },
    });
    const events = dataOf(await t.as('viewer')(EventsDocument, { types: ['rl.snapshot'], model: 'meta' })).events;
    expect(events.map((event) => event.payload)).toEqual([expect.objectContaining({ version: 2, reason: 'INTERVAL', tradesSeen: 4 })]);
  });

  it('evaluates a snapshot offline by replaying the trades learned after it', async () => {
    const [{ snapshots }] = await agents();
    const snapshotVersionId = snapshots[0].modelVersion!.id;
    // The snapshot's greedy choice in STATE is defensive (two winning trades), trend_follow disagrees with it.
    dataOf(
      await trade(
        { rl_meta_strategy: { model: 'meta', state: STORED_STATE, action: 'defensive' } },
        { exitPrice: 103, hours: 12, strategy: 'defensive' },
      ),
    );
    dataOf(
      await trade(
        { rl_meta_strategy: { model: 'meta', state: STORED_STATE, action: 'trend_follow' } },
        { exitPrice: 98, hours: 12, strategy: 'trend_follow' },
      ),
    );
    const rewards: { action: string; reward: number }[] = await t.dataSource.query(
      'SELECT action, reward FROM rl_transitions ORDER BY id DESC LIMIT 2',
    );
    const evaluation = dataOf(
      await t.as('viewer')(AgentReplayEvaluationDocument, { modelVersionId: snapshotVersionId }),
    ).agentReplayEvaluation;
    expect(evaluation).toMatchObject({ modelVersion: { version: 2 }, transitions: 2, matched: 1, agreementRate: 0.5, seenStateRate: 1 });
    expect(evaluation.greedyMeanReward).toBeCloseTo(rewards.find((r) => r.action === 'defensive')!.reward, 10);
    expect(evaluation.loggedMeanReward).toBeCloseTo((rewards[0].reward + rewards[1].reward) / 2, 10);
  });

  it('on a regime change archives the table as a snapshot and resets it with ε = 0.5 (rl.reset); the same regime again changes nothing', async () => {
    const first = dataOf(await t.as('trader')(SignalRegimeChangeDocument, { regime: 'TRENDING' })).signalRegimeChange;
    expect(first).toEqual([expect.objectContaining({ previousRegime: null, regime: 'TRENDING', reset: false, snapshotId: null })]);
    const same = dataOf(await t.as('trader')(SignalRegimeChangeDocument, { regime: 'TRENDING' })).signalRegimeChange;
    expect(same[0]).toMatchObject({ previousRegime: 'TRENDING', reset: false });

    const changed = dataOf(await t.as('trader')(SignalRegimeChangeDocument, { regime: 'VOLATILE' })).signalRegimeChange;
    expect(changed[0]).toMatchObject({ previousRegime: 'TRENDING', regime: 'VOLATILE', reset: true, agent: { epoch: 2, tradesSeen: 6 } });
    const [agent] = await agents();
    expect(agent).toMatchObject({ epoch: 2, epsilon: 0.5, statesVisited: 0, tradesSeen: 6, regime: 'VOLATILE' });
    expect(agent.snapshots[1]).toMatchObject({
      id: changed[0].snapshotId,
      reason: 'REGIME_CHANGE',
      tradesSeen: 6,
      modelVersion: { version: 3, status: 'SNAPSHOT' },
    });
    const [reset] = dataOf(await t.as('viewer')(EventsDocument, { types: ['rl.reset'], model: 'meta' })).events;
    expect(reset.payload).toMatchObject({
      previousRegime: 'TRENDING',
      regime: 'VOLATILE',
      epsilon: 0.5,
      epoch: 2,
      archivedSnapshotId: changed[0].snapshotId,
    });
    const selection = dataOf(await t.as('trader')(SelectStrategyDocument, { state: STATE })).selectStrategy;
    expect(selection).toMatchObject({ epsilon: 0.5, agent: { epoch: 2 } });
    expect(selection.qValues.map((v) => v.value)).toEqual([0, 0, 0, 0, 0]);

    dataOf(await t.as('operator')(UpdatePolicyPatchDocument, { patch: { rl_maintenance: { reset_on_regime_change: false } } }));
    const kept = dataOf(await t.as('trader')(SignalRegimeChangeDocument, { regime: 'RANGING' })).signalRegimeChange;
    expect(kept[0]).toMatchObject({ previousRegime: 'VOLATILE', regime: 'RANGING', reset: false, agent: { epoch: 2 } });
    expect(await count(`events WHERE type = 'rl.reset'`)).toBe(1);
  });

  it('makes a promoted version’s table live', async () => {
    const [{ snapshots }] = await agents();
    dataOf(await t.as('operator')(PromoteModelDocument, { input: { model: 'meta', version: 2 } }));
    const selection = dataOf(await t.as('trader')(SelectStrategyDocument, { state: STATE })).selectStrategy;
    expect(selection.agent).toMatchObject({ version: 2, tradesSeen: 4 });
    expect(qOf(selection.qValues, 'BREAKOUT')).toBeCloseTo(-0.18, 10);
    expect((await agents())[0].sourceVersion.id).toBe(snapshots[0].modelVersion!.id);
  });
});

describe('bad decisions and states are refused with nothing written', () => {
  async function liveState() {
    return {
      agent: await t.dataSource.query('SELECT q_table, trades_since_snapshot, epoch FROM rl_agents'),
      transitions: await count('rl_transitions'),
      snapshots: await count('rl_snapshots'),
      outcomes: await count('request_outcomes'),
      counter: await t.dataSource.query('SELECT cycle, trades_since_trigger, completed_trades FROM learning_counter'),
      closed: await count(`trades WHERE status = 'CLOSED'`),
    };
  }

  async function refusedClose(decision: Record<string, unknown>) {
    const before = await liveState();
    const error = errorOf(await trade(decision, { exitPrice: 101, hours: 5, strategy: 'breakout' }));
    expect(error.code).toBe('BAD_USER_INPUT');
    expect(await liveState()).toEqual(before);
    return error;
  }

  it('a state value outside the enums, in selectStrategy and in a trade’s decision', async () => {
    const before = await liveState();
    const error = errorOf(await t.as('trader')(SelectStrategyDocument, { state: { ...STATE, regime: 'SIDEWAYS' as MarketRegime } }));
    expect(error.code).toBe('BAD_USER_INPUT');
    expect(error.message).toMatch(/Value "SIDEWAYS" does not exist in "MarketRegime" enum/);
    expect(await liveState()).toEqual(before);

    const refused = await refusedClose({
      rl_meta_strategy: { model: 'meta', state: { ...STORED_STATE, liquidity: 'DEEP' }, action: 'breakout' },
    });
    expect(refused.message).toBe('decision.rl_meta_strategy.state.liquidity expects one of LOW, MEDIUM, HIGH, but got "DEEP"');
    expect(refused.extensions?.field).toBe('decision.rl_meta_strategy.state.liquidity');
  });

  it('an action the agent does not have', async () => {
    const refused = await refusedClose({ rl_meta_strategy: { model: 'meta', state: STORED_STATE, action: 'scalping' } });
    expect(refused.message).toBe(
      'decision.rl_meta_strategy.action expects one of trend_follow, mean_reversion, breakout, range_bound, defensive, but got "scalping"',
    );
  });

  it('a decision naming a model that is not an agent of that family', async () => {
    const refused = await refusedClose({ rl_meta_strategy: { model: 'no-such-agent', state: STORED_STATE, action: 'breakout' } });
    expect(refused.message).toBe('decision.rl_meta_strategy.model expects a registered rl_meta_strategy agent, but got "no-such-agent"');
  });

  it('a NaN reward (service level: a closing trade whose return is NaN)', async () => {
    const clientTradeId = 'meta-nan';
    dataOf(
      await t.as('trader')(LogTradeExecutionDocument, {
        input: {
          clientTradeId,
          symbol: 'SPY',
          side: 'LONG',
          quantity: 1,
          entryPrice: 100,
          entryTime: new Date(T0 - HOUR).toISOString(),
          strategy: 'breakout',
          decision: { rl_meta_strategy: { model: 'meta', state: STORED_STATE, action: 'breakout' } },
        },
      }),
    );
    const open = await t.dataSource.getRepository(TradeEntity).findOneByOrFail({ clientTradeId });
    const closing = { ...open, status: 'CLOSED' as const, realizedReturn: NaN, holdingPeriodSeconds: 3600, maxDrawdown: 0 };
    const before = await liveState();
    const learning = t.dataSource.transaction((tx) => t.app.services.rlAgents.learnFromTrade(closing, tx));
    await expect(learning).rejects.toBeInstanceOf(InvalidInputError);
    await expect(learning).rejects.toThrow('outcome.pnlPercent expects a finite number, but got NaN');
    expect(await liveState()).toEqual(before);
  });

  it('a new agent of a family that is not an agent, or with invalid hyperparameters', async () => {
    const models = await t.dataSource.getRepository(RegisteredModelEntity).count();
    const family = errorOf(await t.as('operator')(CreateRlAgentDocument, { input: { name: 'x', family: 'xgboost' } }));
    expect(family).toMatchObject({
      code: 'BAD_USER_INPUT',
      message: 'expects family rl_meta_strategy or rl_position_sizing, but got "xgboost"',
    });
    const params = errorOf(
      await t.as('operator')(CreateRlAgentDocument, {
        input: { name: 'x', family: 'rl_meta_strategy', hyperparameters: { learningRate: 2 } },
      }),
    );
    expect(params).toMatchObject({
      code: 'BAD_USER_INPUT',
      extensions: expect.objectContaining({ field: 'hyperparameters.learningRate' }),
    });
    expect(await t.dataSource.getRepository(RegisteredModelEntity).count()).toBe(models);
  });
});
