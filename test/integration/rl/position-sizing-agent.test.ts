/**
 * The position-sizing agent behind positionSizeMultiplier: the ACTIVE agent answers after the safety
 * clamp from the policy and names the limits that cut it — once its table has learned from
 * rl_maintenance.min_trades_before_serving trades; until then the rule answers, says why, and hands the
 * agent the trade to learn from; over random states, portfolios and policy
 * limits an answer never exceeds them (a property at the service level); outcomes closed concurrently
 * are each learned exactly once, under the live row's lock.
 */
import fc from 'fast-check';
import {
  CreateRlAgentDocument,
  LogTradeExecutionDocument,
  LogTradeOutcomeDocument,
  PositionSizeMultiplierDocument,
  RlAgentsDocument,
  UpdatePolicyPatchDocument,
  type PositionSizeInput,
} from '../../generated/graphql';
import type { EventEntity } from '../../../src/entities/event.entity';
import { MARKET_REGIMES } from '../../../src/lib/market-vocabulary';
import { applyOutcomes, parsePositionSizingAction, withHyperparameters, type QTable } from '../../../src/plugins/rl';
import { startTestApp, type TestApp } from '../../helpers/app';
import { dataOf } from '../../helpers/graphql';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ worker: false });
  // Agents answer from their first trade here; the last test restores a warm-up.
  dataOf(
    await t.as('operator')(UpdatePolicyPatchDocument, { patch: { rl_maintenance: { min_epsilon: 0, min_trades_before_serving: 0 } } }),
  );
});
afterAll(async () => {
  await t?.close();
});

/** equity 100 000, base 1 000 (1 %), confidence 0.9, no exposure, annualised volatility 10 %, stop 2 %. */
const REQUEST: PositionSizeInput = {
  symbol: 'SPY',
  baseSize: 1000,
  strategyConfidence: 0.9,
  portfolio: { equity: 100_000, openPositions: 0, grossExposure: 0 },
  regime: 'TRENDING',
  realizedVolatility: 0.1,
  stopDistance: 0.02,
};
/** The agent's state for REQUEST while fewer than 5 trades have closed (win rate NEUTRAL). */
const STATE = { regime: 'TRENDING', confidence: 'VERY_HIGH', exposure: 'LOW', winRate: 'NEUTRAL', volatility: 'LOW' };
const BOLD = 'size1.5_lev10_tp-aggressive_sl-wide';
const HOUR = 3600_000;
const T0 = Date.parse('2026-05-04T14:30:00Z');
let trades = 0;

async function openTrade(action: string): Promise<{ clientTradeId: string; entryTime: number }> {
  const clientTradeId = `sized-${++trades}`;
  const entryTime = T0 + trades * HOUR;
  dataOf(
    await t.as('trader')(LogTradeExecutionDocument, {
      input: {
        clientTradeId,
        symbol: 'SPY',
        side: 'LONG',
        quantity: 1,
        entryPrice: 100,
        entryTime: new Date(entryTime).toISOString(),
        decision: { rl_position_sizing: { model: 'sizer', state: STATE, action } },
      },
    }),
  );
  return { clientTradeId, entryTime };
}

function closeTrade(opened: { clientTradeId: string; entryTime: number }, exitPrice: number) {
  return t.as('trader')(LogTradeOutcomeDocument, {
    input: {
      clientTradeId: opened.clientTradeId,
      exitPrice,
      exitTime: new Date(opened.entryTime + 6 * HOUR).toISOString(),
      maxDrawdown: 0,
      takeProfitHit: true,
    },
  });
}

async function liveTable(): Promise<QTable> {
  const [row] = await t.dataSource.query(
    `SELECT q_table FROM rl_agents a JOIN registered_models m ON m.id = a.registered_model_id WHERE m.name = 'sizer'`,
  );
  return row.q_table;
}

describe('positionSizeMultiplier with the position-sizing agent', () => {
  it('is the rule’s while no agent is ACTIVE', async () => {
    const answer = dataOf(await t.as('trader')(PositionSizeMultiplierDocument, { input: REQUEST })).positionSizeMultiplier;
    expect(answer.source).toEqual({ kind: 'RULE', name: 'capped_kelly', version: null });
  });

  it('is the ACTIVE agent’s choice after the safety clamp, naming the limits that cut it', async () => {
    dataOf(
      await t.as('operator')(CreateRlAgentDocument, {
        input: { name: 'sizer', family: 'rl_position_sizing', hyperparameters: { epsilon: 0, epsilonMin: 0 } },
      }),
    );
    // One winning trade makes the bold action the greedy one: reward = 2 − 0.05 × 6 − 0 + 1 = 2.7.
    dataOf(await closeTrade(await openTrade(BOLD), 102));
    expect((await liveTable()).entries['TRENDING|VERY_HIGH|LOW|NEUTRAL|LOW'].q[(await liveTable()).actions.indexOf(BOLD)]).toBeCloseTo(
      0.27,
      12,
    );

    const answer = dataOf(await t.as('trader')(PositionSizeMultiplierDocument, { input: REQUEST })).positionSizeMultiplier;
    expect(answer).toMatchObject({
      source: { kind: 'MODEL', name: 'sizer', version: 1 },
      proposedMultiplier: 1.5,
      multiplier: 1.5,
      leverage: 3,
      clampedBy: ['maxLeverage'],
    });
    expect(answer.riskFraction).toBeCloseTo(0.01 * 1.5 * 3 * 0.02, 12);
    expect(answer.explanation).toMatch(
      /rl_position_sizing agent "sizer" v1 \(epoch 1\) chose greedily size1\.5_lev10_tp-aggressive_sl-wide .*; risk limits: maxLeverage cut leverage 10 → 3$/,
    );
    expect(answer.decision.rl_position_sizing).toEqual({
      model: 'sizer',
      version: 1,
      state: STATE,
      action: BOLD,
      takeProfit: 'aggressive',
      stopLoss: 'wide',
      stopDistance: 0.02,
      explored: false,
    });

    dataOf(
      await t.as('operator')(UpdatePolicyPatchDocument, {
        patch: { risk_limits: { max_position_multiplier: 1, max_risk_per_trade: 0.0002 } },
      }),
    );
    const tight = dataOf(await t.as('trader')(PositionSizeMultiplierDocument, { input: REQUEST })).positionSizeMultiplier;
    expect(tight).toMatchObject({ proposedMultiplier: 1, leverage: 3, clampedBy: ['maxLeverage', 'maxRiskPerTrade'] });
    expect(tight.explanation).toMatch(/size capped at max_position_multiplier 1/);
    expect(tight.riskFraction).toBeLessThanOrEqual(0.0002);
    expect(tight.multiplier).toBeCloseTo(0.0002 / (0.01 * 3 * 0.02), 9);
    dataOf(
      await t.as('operator')(UpdatePolicyPatchDocument, {
        patch: { risk_limits: { max_position_multiplier: 2, max_risk_per_trade: 0.02 } },
      }),
    );
  });

  it('learns every one of many outcomes closed at once, exactly as applied one after another', async () => {
    const action = 'size0.5_lev2_tp-balanced_sl-medium';
    const opened = [];
    for (let i = 0; i < 24; i++) opened.push(await openTrade(action));
    const before = await liveTable();
    // A cold policy cache (as after another process's policy update): each closing transaction reads the
    // policy, and 24 of them at once hold every pooled connection — a read on any other connection would never be served.
    t.app.services.policy.onEvent({ type: 'policy.updated' } as EventEntity);
    const answers = await Promise.all(opened.map((trade, i) => closeTrade(trade, 99 + (i % 5))));
    answers.forEach((answer) => dataOf(answer));

    const after = await liveTable();
    expect(after.tradesSeen).toBe(before.tradesSeen + 24);
    const key = 'TRENDING|VERY_HIGH|LOW|NEUTRAL|LOW';
    expect(after.entries[key].visits[after.actions.indexOf(action)]).toBe(24);
    // The transitions in the order they were learned (their ids are drawn under the row lock), replayed.
    const learned: { state: Record<string, string>; action: string; reward: number; next_state: Record<string, string> | null }[] =
      await t.dataSource.query(`SELECT state, action, reward, next_state FROM rl_transitions ORDER BY id OFFSET 1`);
    expect(learned).toHaveLength(24);
    const replayed = applyOutcomes(
      withHyperparameters(before, after.hyperparameters),
      learned.map((row) => ({ state: row.state, action: row.action, reward: row.reward, nextState: row.next_state ?? undefined })),
    );
    expect(replayed.entries[key].q.map((q, i) => q - after.entries[key].q[i]).every((d) => Math.abs(d) < 1e-12)).toBe(true);
    expect(replayed.epsilon).toBe(after.epsilon);
    const [{ agents }] = await t.dataSource.query(`SELECT count(*)::int AS agents FROM rl_agents`);
    expect(agents).toBe(1);
    const { rlAgents } = dataOf(await t.as('viewer')(RlAgentsDocument));
    expect(rlAgents[0]).toMatchObject({ model: 'sizer', tradesSeen: 25 });
  });

  it('never exceeds the policy’s limits, over random states, portfolios and limits (fast-check, service level)', async () => {
    // A fresh ACTIVE version that explores every action (ε = 1), so every size, leverage and stop profile is tried.
    dataOf(
      await t.as('operator')(CreateRlAgentDocument, {
        input: { name: 'sizer', family: 'rl_position_sizing', hyperparameters: { epsilon: 1, epsilonMin: 0 } },
      }),
    );
    const { policy, decision } = t.app.services;
    const fraction = (min: number, max: number) => fc.double({ min, max, noNaN: true, noDefaultInfinity: true });
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          max_risk_per_trade: fraction(1e-4, 0.2),
          max_leverage: fraction(1, 12),
          max_positions: fc.integer({ min: 1, max: 12 }),
          max_position_multiplier: fraction(0.1, 3),
        }),
        fc.record({
          equity: fraction(1e3, 1e7),
          baseShare: fraction(1e-3, 0.5),
          openPositions: fc.integer({ min: 0, max: 15 }),
          grossShare: fraction(0, 3),
          strategyConfidence: fraction(0, 1),
          regime: fc.constantFrom(...MARKET_REGIMES),
          realizedVolatility: fraction(0, 1.5),
          stopDistance: fraction(1e-3, 1),
        }),
        async (limits, r) => {
          await policy.updatePolicy({ risk_limits: limits }, null);
          const answer = await decision.positionSizeMultiplier({
            symbol: 'SPY',
            baseSize: r.equity * r.baseShare,
            strategyConfidence: r.strategyConfidence,
            portfolio: { equity: r.equity, openPositions: r.openPositions, grossExposure: r.equity * r.grossShare },
            regime: r.regime,
            realizedVolatility: r.realizedVolatility,
            stopDistance: r.stopDistance,
          });
          expect(answer.source.kind).toBe('MODEL');
          expect(answer.leverage).toBeLessThanOrEqual(limits.max_leverage);
          expect(answer.multiplier).toBeLessThanOrEqual(limits.max_position_multiplier);
          expect(answer.riskFraction).toBeLessThanOrEqual(limits.max_risk_per_trade);
          if (r.openPositions >= limits.max_positions) expect(answer.multiplier).toBe(0);
          // The loss at the stop the agent's profile places, too.
          const sizing = answer.decision.rl_position_sizing as { action: string; stopDistance: number };
          expect(sizing.stopDistance).toBeLessThanOrEqual(r.stopDistance);
          expect(r.baseShare * answer.multiplier * answer.leverage * sizing.stopDistance).toBeLessThanOrEqual(
            limits.max_risk_per_trade * (1 + 1e-12),
          );
          expect(answer.leverage).toBeLessThanOrEqual(parsePositionSizingAction(sizing.action).leverage);
        },
      ),
      { numRuns: 80, seed: 4242 },
    );
  });

  it('lets the rule answer, saying why, until the agent has learned from min_trades_before_serving trades, and learns from those trades', async () => {
    dataOf(await t.as('operator')(UpdatePolicyPatchDocument, { patch: { rl_maintenance: { min_trades_before_serving: 2 } } }));
    dataOf(
      await t.as('operator')(CreateRlAgentDocument, {
        input: { name: 'sizer', family: 'rl_position_sizing', hyperparameters: { epsilon: 0, epsilonMin: 0 } },
      }),
    );
    const { version } = (await t.app.services.registry.activeVersion((await t.app.services.registry.getRegisteredModel('sizer')).id))!;
    for (const seen of [0, 1]) {
      const answer = dataOf(await t.as('trader')(PositionSizeMultiplierDocument, { input: REQUEST })).positionSizeMultiplier;
      expect(answer.source).toEqual({ kind: 'RULE', name: 'capped_kelly', version: null });
      const why = `rl_position_sizing agent "sizer" v${version} has learned from ${seen} of the 2 trades it needs before it answers (policy rl_maintenance.min_trades_before_serving)`;
      expect(answer.explanation.startsWith(why)).toBe(true);
      expect(answer.decision.position_size).toMatchObject({
        source: { kind: 'RULE' },
        deferredBy: { kind: 'MODEL', name: 'sizer', version, reason: expect.stringContaining(why) },
      });
      // The trade is learned as the rule sized it: the nearest of the agent's actions, leverage 1.
      const sizing = answer.decision.rl_position_sizing as { model: string; state: unknown; action: string };
      // The win rate is that of the latest 20 closed trades, which the earlier tests of this file decide (and order, closed concurrently).
      expect(sizing).toMatchObject({
        model: 'sizer',
        version,
        state: { ...STATE, winRate: expect.stringMatching(/^(COLD|NEUTRAL|HOT)$/) },
      });
      expect(parsePositionSizingAction(sizing.action)).toMatchObject({ leverage: 1, takeProfit: 'balanced', stopLoss: 'wide' });
      dataOf(await closeTrade(await openTrade(sizing.action), 101));
    }
    expect((await liveTable()).tradesSeen).toBe(2);
    const served = dataOf(await t.as('trader')(PositionSizeMultiplierDocument, { input: REQUEST })).positionSizeMultiplier;
    expect(served.source).toEqual({ kind: 'MODEL', name: 'sizer', version });
    expect(served.decision.position_size).not.toHaveProperty('deferredBy');
  });
});
