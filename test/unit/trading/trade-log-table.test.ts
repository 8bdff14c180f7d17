import { checkFeatureSnapshot } from '../../../src/trading/feature-snapshot';
import { InvalidInputError } from '../../../src/lib/errors';
import { buildTradeLogTable, type ClosedTradeRecord } from '../../../src/market/trade-log-table';

const base: ClosedTradeRecord = {
  id: 't1',
  clientTradeId: 'c1',
  symbol: 'SPY',
  side: 'LONG',
  strategy: 'trend_follow',
  entryTime: Date.UTC(2024, 0, 2),
  exitTime: Date.UTC(2024, 0, 5),
  features: { ret_1: 0.01, rsi_14: 55, custom_b: 2 },
  modelConfidence: 0.6,
  holdingPeriodSeconds: 259_200,
  pnl: 12,
  realizedReturn: 0.012,
  priceReturn: 0.0125,
  success: true,
};

describe('buildTradeLogTable', () => {
  it('lays out one row per trade: known features in their usual order, then others alphabetically; missing where a trade lacks one', () => {
    const { table, featureNames } = buildTradeLogTable([
      base,
      {
        ...base,
        id: 't2',
        clientTradeId: 'c2',
        strategy: null,
        features: { custom_a: 1, ret_1: -0.02 },
        success: false,
        pnl: -3,
        realizedReturn: -0.003,
        modelConfidence: null,
      },
      { ...base, id: 't3', clientTradeId: 'c3', features: null },
    ]);
    expect(featureNames).toEqual(['ret_1', 'rsi_14', 'custom_a', 'custom_b']);
    expect(table.columns.map((c) => `${c.name}:${c.type}`)).toEqual([
      'trade_id:string',
      'client_trade_id:string',
      'symbol:string',
      'side:string',
      'strategy:string',
      'entry_time:timestamp',
      'exit_time:timestamp',
      'ret_1:number',
      'rsi_14:number',
      'custom_a:number',
      'custom_b:number',
      'model_confidence:number',
      'holding_period_seconds:number',
      'pnl:number',
      'realized_return:number',
      'price_return:number',
      'success:boolean',
    ]);
    const column = (name: string) => table.data[table.columns.findIndex((c) => c.name === name)];
    expect(table.rowCount).toBe(3);
    expect(column('ret_1')).toEqual([0.01, -0.02, null]);
    expect(column('custom_a')).toEqual([null, 1, null]);
    expect(column('strategy')).toEqual(['trend_follow', null, 'trend_follow']);
    expect(column('realized_return')).toEqual([0.012, -0.003, 0.012]);
    expect(column('price_return')).toEqual([0.0125, 0.0125, 0.0125]);
    expect(column('success')).toEqual([true, false, true]);
    expect(column('entry_time')).toEqual([Date.UTC(2024, 0, 2), Date.UTC(2024, 0, 2), Date.UTC(2024, 0, 2)]);
  });

  it('refuses an empty log', () => {
    expect(() => buildTradeLogTable([])).toThrow(new InvalidInputError('expects at least one closed trade, but none matched'));
  });
});

describe('checkFeatureSnapshot', () => {
  it('accepts named finite numbers and nulls', () => {
    const snapshot = { ret_1: 0.01, 'my.feature-2': -3, vol_20: null };
    expect(checkFeatureSnapshot(snapshot)).toBe(snapshot);
  });

  it.each([
    [{ 'bad name': 1 }, 'features.bad name', /expects feature names of letters, digits/],
    [{ pnl: 1 }, 'features.pnl', /other than trade_id, .*pnl/],
    [{ ret_1: 'high' }, 'features.ret_1', 'expects feature "ret_1" to be a finite number or null (missing), but got "high"'],
    [{ ret_1: Infinity }, 'features.ret_1', 'expects feature "ret_1" to be a finite number or null (missing), but got Infinity'],
  ])('refuses %j naming the feature', (snapshot, field, message) => {
    expect(() => checkFeatureSnapshot(snapshot as Record<string, unknown>)).toThrow(message);
    try {
      checkFeatureSnapshot(snapshot as Record<string, unknown>);
    } catch (error) {
      expect((error as InvalidInputError).details).toEqual({ field });
    }
  });

  it('refuses more than 512 features', () => {
    const many = Object.fromEntries(Array.from({ length: 513 }, (_, i) => [`f${i}`, i]));
    expect(() => checkFeatureSnapshot(many)).toThrow('expects at most 512 features, but got 513');
  });
});
