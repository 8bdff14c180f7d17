import { buildFeatureTable } from '../../../src/market/feature-table';
import { FEATURE_NAMES, WARMUP_BARS } from '../../../src/market/features';
import { generateSyntheticMarket } from '../../../src/lib/synthetic-market';

describe('buildFeatureTable with `from`', () => {
  it('uses the bars before `from` only to warm up: the rows from `from` on equal those of the whole table', () => {
    const market = generateSyntheticMarket({ seed: 'from', symbols: ['A', 'B'] });
    const label = { kind: 'forward_return', horizon: 3 } as const;
    const whole = buildFeatureTable(market.bars, label);
    const from = market.bars.A[300].timestamp;
    const part = buildFeatureTable(market.bars, label, { from });
    const perSymbol = market.bars.A.length - 300;
    expect(part.rowCount).toBe(2 * perSymbol);
    expect(whole.rowCount).toBe(2 * (market.bars.A.length - WARMUP_BARS));
    const timestamps = part.data[1] as number[];
    expect(Math.min(...timestamps)).toBe(from);
    // Row r of symbol A in `part` is row r + (300 − WARMUP_BARS) of A in `whole`; B follows A in both.
    const offset = 300 - WARMUP_BARS;
    for (const r of [0, 1, 100, perSymbol - 1]) {
      for (let c = 0; c < part.columns.length; c++) expect(part.data[c][r]).toEqual(whole.data[c][r + offset]);
    }
    expect(part.columns.map((c) => c.name)).toEqual(['symbol', 'timestamp', ...FEATURE_NAMES, 'forward_return_3']);
  });
});
