import { InvalidInputError } from '../../../src/lib/errors';
import { createRng } from '../../../src/plugins/rl/exploration';
import {
  STRATEGIES,
  createMetaStrategyTable,
  metaStrategyAgent,
  metaStrategyReward,
  metaStrategyState,
  metaStrategyTransition,
  performanceLevel,
  selectStrategy,
  type MetaStrategyState,
} from '../../../src/plugins/rl/meta-strategy';
import { liquidityLevel, volatilityLevel } from '../../../src/plugins/rl/market-state';
import { createPositionSizingTable } from '../../../src/plugins/rl/position-sizing';
import { applyOutcome, applyOutcomes } from '../../../src/plugins/rl/q-table';

const trendingCalm: MetaStrategyState = { regime: 'TRENDING', volatility: 'LOW', liquidity: 'HIGH', performance: 'NEUTRAL' };

describe('meta-strategy agent definition', () => {
  it('has 4 × 4 × 3 × 3 states and the five strategies', () => {
    expect(metaStrategyAgent.id).toBe('rl_meta_strategy');
    expect(metaStrategyAgent.stateSpace.map((d) => [d.name, d.values.length])).toEqual([
      ['regime', 4],
      ['volatility', 4],
      ['liquidity', 3],
      ['performance', 3],
    ]);
    expect(metaStrategyAgent.actions).toEqual(['trend_follow', 'mean_reversion', 'breakout', 'range_bound', 'defensive']);
  });
});

describe('metaStrategyReward', () => {
  it('is pnl% + (24 / max(hours, 0.1)) × 0.1 − |drawdown%| × 2 + (win rate − 0.5) × 10', () => {
    // 3 + 24/48 × 0.1 − 1.5 × 2 + 0.2 × 10 = 3 + 0.05 − 3 + 2
    expect(metaStrategyReward({ pnlPercent: 3, hoursHeld: 48, maxDrawdownPercent: -1.5, winRate: 0.7 })).toBeCloseTo(2.05, 12);
    // hours floored at 0.1: 24/0.1 × 0.1 = 24
    expect(metaStrategyReward({ pnlPercent: 0, hoursHeld: 0, maxDrawdownPercent: 0, winRate: 0.5 })).toBeCloseTo(24, 12);
  });

  it('refuses non-finite and out-of-range figures by field', () => {
    const ok = { pnlPercent: 1, hoursHeld: 24, maxDrawdownPercent: 1, winRate: 0.5 };
    expect(() => metaStrategyReward({ ...ok, pnlPercent: Number.NaN })).toThrow(
      new InvalidInputError('outcome.pnlPercent expects a finite number, but got NaN'),
    );
    expect(() => metaStrategyReward({ ...ok, winRate: 1.2 })).toThrow(/outcome\.winRate expects a fraction in \[0, 1\], but got 1\.2/);
    expect(() => metaStrategyReward({ ...ok, hoursHeld: -1 })).toThrow(/outcome\.hoursHeld expects a number of hours ≥ 0/);
    expect(() => metaStrategyReward({ ...ok, maxDrawdownPercent: Infinity })).toThrow(/outcome\.maxDrawdownPercent/);
  });
});

describe('state buckets', () => {
  it('performance: GOOD above +5 %, POOR below −3 %, else NEUTRAL (edges themselves are NEUTRAL)', () => {
    expect([6, 5.0001, 5, 0, -3, -3.0001, -10].map(performanceLevel)).toEqual([
      'GOOD',
      'GOOD',
      'NEUTRAL',
      'NEUTRAL',
      'NEUTRAL',
      'POOR',
      'POOR',
    ]);
    expect(() => performanceLevel(Number.NaN)).toThrow(/pnlPercent7d expects a finite percentage, but got NaN/);
  });

  it('volatility and liquidity use lower-inclusive edges', () => {
    expect([0, 0.1499, 0.15, 0.29, 0.3, 0.59, 0.6, 2].map((v) => volatilityLevel(v))).toEqual([
      'LOW',
      'LOW',
      'MEDIUM',
      'MEDIUM',
      'HIGH',
      'HIGH',
      'EXTREME',
      'EXTREME',
    ]);
    expect([0, 0.33, 0.34, 0.66, 0.67, 1].map((v) => liquidityLevel(v))).toEqual(['LOW', 'LOW', 'MEDIUM', 'MEDIUM', 'HIGH', 'HIGH']);
    expect(() => volatilityLevel(-0.1)).toThrow(/annualizedVolatility expects an annualised volatility ≥ 0/);
    expect(() => liquidityLevel(1.5)).toThrow(/volumePercentile expects a percentile rank in \[0, 1\], but got 1\.5/);
  });

  it('metaStrategyState maps raw figures and refuses an unknown regime with the allowed values', () => {
    expect(metaStrategyState({ regime: 'CHOPPY', annualizedVolatility: 0.4, volumePercentile: 0.5, pnlPercent7d: -4 })).toEqual({
      regime: 'CHOPPY',
      volatility: 'HIGH',
      liquidity: 'MEDIUM',
      performance: 'POOR',
    });
    expect(() =>
      metaStrategyState({ regime: 'SIDEWAYS' as never, annualizedVolatility: 0.1, volumePercentile: 0.5, pnlPercent7d: 0 }),
    ).toThrow(new InvalidInputError('state.regime expects one of TRENDING, RANGING, CHOPPY, VOLATILE, but got "SIDEWAYS"'));
  });
});

describe('selectStrategy', () => {
  it('answers the strategy, Q-values, whether it explored, and softmax strategy weights', () => {
    let table = createMetaStrategyTable({ epsilon: 0, epsilonMin: 0, learningRate: 1, temperature: 2 });
    table = applyOutcomes(table, [
      metaStrategyTransition(trendingCalm, 'trend_follow', { pnlPercent: 4, hoursHeld: 24, maxDrawdownPercent: 0.5, winRate: 0.6 }),
      metaStrategyTransition(trendingCalm, 'defensive', { pnlPercent: 0.5, hoursHeld: 24, maxDrawdownPercent: 0.1, winRate: 0.5 }),
    ]);
    const selection = selectStrategy(table, trendingCalm, createRng(3));
    // trend_follow: 4 + 0.1 − 1 + 1 = 4.1; defensive: 0.5 + 0.1 − 0.2 = 0.4
    expect(selection.strategy).toBe('trend_follow');
    expect(selection.explored).toBe(false);
    expect(selection.qValues.trend_follow).toBeCloseTo(4.1, 12);
    expect(selection.qValues.defensive).toBeCloseTo(0.4, 12);
    expect(selection.qValues.breakout).toBe(0);
    const weights = STRATEGIES.map((s) => selection.strategyWeights[s]);
    expect(weights.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    // temperature 2 from the table: w ∝ exp(q / 2)
    expect(selection.strategyWeights.trend_follow / selection.strategyWeights.breakout).toBeCloseTo(Math.exp(4.1 / 2), 9);
    // an explicit temperature wins over the table's
    const sharp = selectStrategy(table, trendingCalm, createRng(3), 0.1);
    expect(sharp.strategyWeights.trend_follow).toBeGreaterThan(0.999);
  });

  it('explores when ε says so, and an unlearned state weighs every strategy equally', () => {
    const table = createMetaStrategyTable({ epsilon: 1, epsilonMin: 1 });
    const selection = selectStrategy(table, trendingCalm, createRng(1));
    expect(selection.explored).toBe(true);
    expect(selection.epsilon).toBe(1);
    for (const s of STRATEGIES) expect(selection.strategyWeights[s]).toBeCloseTo(0.2, 12);
  });

  it('learns from the closed trade: applyOutcome with metaStrategyTransition', () => {
    const table = createMetaStrategyTable({ learningRate: 0.5 });
    const next: MetaStrategyState = { ...trendingCalm, performance: 'GOOD' };
    const learned = applyOutcome(
      table,
      metaStrategyTransition(trendingCalm, 'breakout', { pnlPercent: 2, hoursHeld: 24, maxDrawdownPercent: 0, winRate: 0.5 }, next),
    );
    // 0.5 × (2.1 + 0.95 × 0) = 1.05
    expect(selectStrategy(learned, trendingCalm, createRng(1)).qValues.breakout).toBeCloseTo(1.05, 12);
    expect(learned.tradesSeen).toBe(1);
  });

  it('refuses a strategy the agent does not have', () => {
    const table = createMetaStrategyTable();
    expect(() => applyOutcome(table, { state: { ...trendingCalm }, action: 'momentum', reward: 1 })).toThrow(
      new InvalidInputError('action expects one of trend_follow, mean_reversion, breakout, range_bound, defensive, but got "momentum"'),
    );
  });
});

describe('agent tables are not interchangeable', () => {
  it('selectStrategy refuses a position-sizing table', () => {
    const sizing = createPositionSizingTable();
    expect(() => selectStrategy(sizing as never, trendingCalm, createRng(1))).toThrow(
      new InvalidInputError('table expects a Q-table of rl_meta_strategy, but got one of rl_position_sizing'),
    );
  });
});
