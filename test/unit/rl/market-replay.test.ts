import { readBarBatches, type Bar } from '../../../src/lib/bars';
import { marketPeriods, periodTransitions, type ReplayBar } from '../../../src/plugins/rl/market-replay';
import {
  STRATEGIES,
  metaStrategyAgent,
  metaStrategyFamily,
  metaStrategyParams,
  type Strategy,
} from '../../../src/plugins/rl/meta-strategy';
import { tableFromArtifact } from '../../../src/plugins/rl/q-table-artifact';
import { greedyAction } from '../../../src/plugins/rl/q-table';
import { describeWithShared, readSharedText } from '../../helpers/shared';

const DAY = 86_400_000;
const HOLD = 5;
const FIRST_DECISION = 272; // a year (252) of history plus the 20-day windows

/** A steady 0.2 %/day climb with a ±0.1 % zig-zag, so volatility is small but not zero. */
function risingBars(n: number): ReplayBar[] {
  return Array.from({ length: n }, (_, t) => ({
    timestamp: t * DAY,
    close: 100 * 1.002 ** t * (1 + 0.001 * (-1) ** t),
    volume: 1e6 + (t % 7) * 1e4,
  }));
}

describe('marketPeriods on synthetic bars', () => {
  const bars = risingBars(400);
  const periods = marketPeriods(bars);

  it('starts after a year of history and steps by the holding period while a whole period remains', () => {
    expect(periods[0].timestamp).toBe(FIRST_DECISION * DAY);
    expect(periods[1].timestamp - periods[0].timestamp).toBe(HOLD * DAY);
    expect(periods.at(-1)!.timestamp / DAY + HOLD).toBeLessThan(bars.length);
  });

  it('reads a steady climb as a calm trend, where following the trend pays and fading it costs', () => {
    for (const p of periods) {
      expect(p.state).toMatchObject({ regime: 'TRENDING', volatility: 'LOW' });
      expect(p.outcomes.trend_follow.pnlPercent).toBeGreaterThan(0);
      expect(p.outcomes.mean_reversion.pnlPercent).toBeLessThanOrEqual(0);
      expect(p.rewards.trend_follow).toBeGreaterThan(p.rewards.mean_reversion);
    }
  });

  it('computes an outcome from the period closes: defensive holds 0.25, compounded daily', () => {
    const p = periods[3];
    const t = p.timestamp / DAY;
    let equity = 1;
    let peak = 1;
    let drawdown = 0;
    let wins = 0;
    for (let k = t + 1; k <= t + HOLD; k++) {
      const r = 0.25 * (bars[k].close / bars[k - 1].close - 1);
      equity *= 1 + r;
      peak = Math.max(peak, equity);
      drawdown = Math.max(drawdown, 1 - equity / peak);
      if (r > 0) wins += 1;
    }
    expect(p.outcomes.defensive.pnlPercent).toBeCloseTo((equity - 1) * 100, 12);
    expect(p.outcomes.defensive.maxDrawdownPercent).toBeCloseTo(drawdown * 100, 12);
    expect(p.outcomes.defensive.winRate).toBe(wins / HOLD);
    expect(p.outcomes.defensive.hoursHeld).toBe(HOLD * 24);
  });

  it('derives each state from past bars only: rewriting every later bar leaves it unchanged', () => {
    for (const j of [0, 5, 17]) {
      const t = periods[j].timestamp / DAY;
      const rewritten = bars.map((b, i) => (i > t ? { ...b, close: b.close * (0.5 + 0.05 * (i % 3)), volume: b.volume * 10 } : b));
      const replayed = marketPeriods(rewritten)[j];
      expect(replayed.state).toEqual(periods[j].state);
      expect(replayed.outcomes.trend_follow.pnlPercent).not.toBeCloseTo(periods[j].outcomes.trend_follow.pnlPercent, 3);
    }
  });

  it('links each period to the next state, the last one ending the episode', () => {
    const transitions = periodTransitions(periods);
    expect(transitions).toHaveLength(periods.length * STRATEGIES.length);
    expect(transitions[0].nextState).toEqual(periods[1].state);
    expect(transitions.at(-1)!.nextState).toBeUndefined();
  });
});

async function spyBars(): Promise<Bar[]> {
  const bars: Bar[] = [];
  for await (const batch of readBarBatches(readSharedText('data', 'market', 'SPY_D.csv'), { symbol: 'SPY', timeframe: '1d' })) {
    bars.push(...batch);
  }
  return bars;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describeWithShared('meta-strategy agent on SPY daily bars (train on the first 70 % of periods, test on the rest)', () => {
  it('its greedy strategy earns more reward than a uniformly random strategy on the held-out periods', async () => {
    const periods = marketPeriods(await spyBars());
    const cut = Math.floor(periods.length * 0.7);
    const train = periods.slice(0, cut);
    const test = periods.slice(cut);

    const model = await metaStrategyFamily.train({ kind: 'policy', transitions: periodTransitions(train) }, metaStrategyParams.parse({}), {
      signal: new AbortController().signal,
      progress: () => undefined,
      log: () => undefined,
      seed: 1,
      threads: 1,
    });
    const table = tableFromArtifact(model.artifact, metaStrategyAgent, metaStrategyParams);

    const greedy = test.map((p) => p.rewards[greedyAction(table, { ...p.state }) as Strategy]);
    const random = test.map((p) => mean(STRATEGIES.map((s) => p.rewards[s])));
    const differences = greedy.map((g, i) => g - random[i]);
    const meanDifference = mean(differences);
    const standardError = Math.sqrt(
      differences.reduce((s, d) => s + (d - meanDifference) ** 2, 0) / (differences.length - 1) / differences.length,
    );
    const fixed = Object.fromEntries(STRATEGIES.map((s) => [s, +mean(test.map((p) => p.rewards[s])).toFixed(3)]));
    const chosen: Record<string, number> = {};
    for (const p of test) chosen[greedyAction(table, { ...p.state })] = (chosen[greedyAction(table, { ...p.state })] ?? 0) + 1;
    const day = (p: { timestamp: number }) => new Date(p.timestamp).toISOString().slice(0, 10);

    console.log(
      [
        `SPY meta-strategy replay: ${train.length} training periods (${day(train[0])}…${day(train.at(-1)!)}), ` +
          `${test.length} held-out periods (${day(test[0])}…${day(test.at(-1)!)}), ${HOLD}-day holds`,
        `held-out mean reward: greedy ${mean(greedy).toFixed(3)} vs uniform random ${mean(random).toFixed(3)} ` +
          `(paired difference ${meanDifference.toFixed(3)} ± ${standardError.toFixed(3)} s.e., t = ${(meanDifference / standardError).toFixed(2)})`,
        `held-out mean reward of each fixed strategy: ${JSON.stringify(fixed)}`,
        `greedy choices on held-out periods: ${JSON.stringify(chosen)}`,
        `training metrics: ${JSON.stringify(model.metrics)}`,
      ].join('\n'),
    );

    expect(mean(greedy)).toBeGreaterThan(mean(random));
    expect(meanDifference / standardError).toBeGreaterThan(2);
  });
});
