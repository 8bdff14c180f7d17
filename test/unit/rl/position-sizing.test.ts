import { InvalidInputError } from '../../../src/lib/errors';
import { createRng } from '../../../src/plugins/rl/exploration';
import {
  confidenceLevel,
  createPositionSizingTable,
  decidePositionSize,
  exposureLevel,
  parsePositionSizingAction,
  positionSizingActionName,
  positionSizingAgent,
  positionSizingReward,
  positionSizingState,
  winRateLevel,
  type PositionSizingState,
} from '../../../src/plugins/rl/position-sizing';
import { applyOutcome } from '../../../src/plugins/rl/q-table';

const state: PositionSizingState = { regime: 'TRENDING', confidence: 'HIGH', exposure: 'LOW', winRate: 'NEUTRAL', volatility: 'MEDIUM' };
const stopDistances = { tight: 0.01, medium: 0.02, wide: 0.04 };
const portfolio = { equity: 10_000, openPositions: 1, grossExposure: 1_000, basePositionFraction: 0.1 };

describe('position-sizing action space', () => {
  it('has the 5 × 6 × 3 × 3 = 270 distinct actions, each named and parsed back', () => {
    expect(positionSizingAgent.id).toBe('rl_position_sizing');
    expect(positionSizingAgent.actions).toHaveLength(270);
    expect(new Set(positionSizingAgent.actions).size).toBe(270);
    for (const name of positionSizingAgent.actions) expect(positionSizingActionName(parsePositionSizingAction(name))).toBe(name);
    expect(parsePositionSizingAction('size0.7_lev3_tp-balanced_sl-tight')).toEqual({
      sizeMultiplier: 0.7,
      leverage: 3,
      takeProfit: 'balanced',
      stopLoss: 'tight',
    });
    expect(() => parsePositionSizingAction('size2_lev3_tp-balanced_sl-tight')).toThrow(
      /action expects size\{0\.3,0\.5,0\.7,1,1\.5\}_lev\{1,2,3,5,7,10\}_tp-\{conservative,balanced,aggressive\}_sl-\{tight,medium,wide\}/,
    );
  });

  it('has 4 × 4 × 4 × 3 × 4 = 768 states', () => {
    expect(positionSizingAgent.stateSpace.reduce((n, d) => n * d.values.length, 1)).toBe(768);
  });
});

describe('position-sizing buckets', () => {
  it('confidence: LOW < 0.55 ≤ MEDIUM < 0.70 ≤ HIGH < 0.85 ≤ VERY_HIGH', () => {
    expect([0, 0.5499, 0.55, 0.6999, 0.7, 0.8499, 0.85, 1].map(confidenceLevel)).toEqual([
      'LOW',
      'LOW',
      'MEDIUM',
      'MEDIUM',
      'HIGH',
      'HIGH',
      'VERY_HIGH',
      'VERY_HIGH',
    ]);
    expect(() => confidenceLevel(1.01)).toThrow(new InvalidInputError('confidence expects a signal confidence in [0, 1], but got 1.01'));
  });

  it('exposure: LOW < 0.25 ≤ MEDIUM < 0.5 ≤ HIGH < 1 ≤ OVEREXTENDED', () => {
    expect([0, 0.24, 0.25, 0.49, 0.5, 0.99, 1, 3].map(exposureLevel)).toEqual([
      'LOW',
      'LOW',
      'MEDIUM',
      'MEDIUM',
      'HIGH',
      'HIGH',
      'OVEREXTENDED',
      'OVEREXTENDED',
    ]);
    expect(() => exposureLevel(-0.1)).toThrow(/exposureFraction expects gross exposure \/ equity ≥ 0, but got -0\.1/);
  });

  it('win rate of the last 20 trades: COLD < 0.4 ≤ NEUTRAL ≤ 0.6 < HOT; NEUTRAL with fewer than 5 trades', () => {
    const trades = (wins: number, losses: number) => [...new Array(wins).fill(1), ...new Array(losses).fill(-1)];
    expect(winRateLevel([])).toBe('NEUTRAL');
    expect(winRateLevel(trades(4, 0))).toBe('NEUTRAL');
    expect(winRateLevel(trades(5, 0))).toBe('HOT');
    expect(winRateLevel(trades(7, 13))).toBe('COLD'); // 0.35
    expect(winRateLevel(trades(8, 12))).toBe('NEUTRAL'); // 0.40
    expect(winRateLevel(trades(12, 8))).toBe('NEUTRAL'); // 0.60
    expect(winRateLevel(trades(13, 7))).toBe('HOT'); // 0.65
    // Only the last 20 count: 30 old losses, then 13 wins of the last 20.
    expect(winRateLevel([...trades(0, 30), ...trades(7, 7), ...trades(6, 0)])).toBe('HOT');
    expect(winRateLevel([1, 0, 0, -1, -1])).toBe('COLD'); // a flat trade (pnl 0) is not a win: 1/5
  });

  it('refuses a non-finite pnl with its index', () => {
    expect(() => winRateLevel([1, 2, Number.NaN])).toThrow(/recentPnls\[2\] expects a finite number, but got NaN/);
  });

  it('positionSizingState maps raw inputs to the state', () => {
    expect(
      positionSizingState({
        regime: 'VOLATILE',
        confidence: 0.9,
        exposureFraction: 0.3,
        recentPnls: [-1, -1, -1, -1, 1],
        annualizedVolatility: 0.7,
      }),
    ).toEqual({ regime: 'VOLATILE', confidence: 'VERY_HIGH', exposure: 'MEDIUM', winRate: 'COLD', volatility: 'EXTREME' });
  });
});

describe('positionSizingReward', () => {
  it('is pnl% − 0.05 × hours − 3 × |drawdown%| + 1 (take-profit hit) − 0.5 (stop-loss hit)', () => {
    // 5 − 0.05 × 10 − 3 × 1 + 1 = 2.5
    expect(
      positionSizingReward({ pnlPercent: 5, hoursHeld: 10, maxDrawdownPercent: -1, takeProfitHit: true, stopLossHit: false }),
    ).toBeCloseTo(2.5, 12);
    // −2 − 0.05 × 4 − 3 × 2 − 0.5 = −8.7
    expect(
      positionSizingReward({ pnlPercent: -2, hoursHeld: 4, maxDrawdownPercent: 2, takeProfitHit: false, stopLossHit: true }),
    ).toBeCloseTo(-8.7, 12);
  });

  it('refuses bad outcome fields by name', () => {
    const ok = { pnlPercent: 1, hoursHeld: 1, maxDrawdownPercent: 0, takeProfitHit: false, stopLossHit: false };
    expect(() => positionSizingReward({ ...ok, pnlPercent: -Infinity })).toThrow(
      /outcome\.pnlPercent expects a finite number, but got -Infinity/,
    );
    expect(() => positionSizingReward({ ...ok, stopLossHit: 'yes' as never })).toThrow(
      /outcome\.stopLossHit expects true or false, but got yes/,
    );
  });
});

describe('decidePositionSize', () => {
  it('returns the agent choice clamped by the risk limits, charging the chosen stop profile', () => {
    const action = 'size1.5_lev10_tp-aggressive_sl-wide';
    let table = createPositionSizingTable({ epsilon: 0, epsilonMin: 0, learningRate: 1 });
    table = applyOutcome(table, {
      state: { ...state },
      action,
      reward: positionSizingReward({ pnlPercent: 4, hoursHeld: 2, maxDrawdownPercent: 0.5, takeProfitHit: true, stopLossHit: false }),
    });
    const decision = decidePositionSize(
      table,
      state,
      createRng(1),
      { maxRiskPerTrade: 0.02, maxLeverage: 5, maxOpenPositions: 3 },
      portfolio,
      stopDistances,
    );
    expect(decision.action).toBe(action);
    expect(decision.explored).toBe(false);
    expect(decision.proposed).toEqual({ sizeMultiplier: 1.5, leverage: 10, takeProfit: 'aggressive', stopLoss: 'wide' });
    expect(decision.qValue).toBeCloseTo(4 - 0.1 - 1.5 + 1, 12);
    // leverage 10 → 5; risk 0.1 × m × 5 × 0.04 ≤ 0.02 → m ≤ 1
    expect(decision.clamped.leverage).toBe(5);
    expect(decision.clamped.sizeMultiplier).toBeCloseTo(1, 12);
    expect(decision.clamped.clampedBy).toEqual(['maxLeverage', 'maxRiskPerTrade']);
    expect(decision.stopLoss).toBe('wide');
    expect(decision.takeProfit).toBe('aggressive');
  });

  it('refuses a missing stop distance for the chosen profile', () => {
    const table = createPositionSizingTable({ epsilon: 1, epsilonMin: 1 });
    expect(() =>
      decidePositionSize(
        table,
        state,
        createRng(1),
        { maxRiskPerTrade: 0.02, maxLeverage: 5, maxOpenPositions: 3 },
        portfolio,
        {} as never,
      ),
    ).toThrow(/stopDistances\.(tight|medium|wide) expects a fraction of the entry price in \(0, 1\], but got undefined/);
  });
});
