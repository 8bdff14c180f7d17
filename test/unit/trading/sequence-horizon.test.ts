import type { ModelSignature } from '../../../src/plugins/contract';
import {
  historyOf,
  horizonErrorScale,
  horizonReturn,
  sequenceHorizon,
  type SequenceHorizonRequest,
} from '../../../src/trading/sequence-horizon';

const signature: ModelSignature = {
  task: 'forecast',
  inputWidth: 8,
  outputs: ['SPY.close@1', 'QQQ.close@1', 'SPY.close@2', 'QQQ.close@2', 'SPY.close@3', 'QQQ.close@3'],
  allowsMissing: false,
  sequence: {
    inputLength: 4,
    horizon: 3,
    inputChannels: ['SPY.close', 'QQQ.close'],
    targets: ['SPY.close', 'QQQ.close'],
    output: 'forecast',
  },
};
const spec = { symbols: ['SPY', 'QQQ', 'IWM'], timeframe: '1d', columns: ['close'], returns: true, returnKind: 'simple', align: 'inner' };
const request = (overrides: Partial<SequenceHorizonRequest> = {}): SequenceHorizonRequest => ({
  model: 'etf-returns',
  version: { version: 2, signature, featureNames: ['SPY.close', 'QQQ.close'] },
  dataset: { name: 'etfs', source: 'SERIES', spec },
  symbol: 'QQQ',
  timeframe: '1d',
  horizon: 2,
  ...overrides,
});

describe('sequenceHorizon', () => {
  it('plans the requested symbol’s close over the horizon’s first steps, reading the version’s channels', () => {
    expect(sequenceHorizon(request())).toEqual({
      datasetSpec: spec,
      inputLength: 4,
      channels: ['SPY.close', 'QQQ.close'],
      target: 'QQQ.close',
      steps: 2,
      returnKind: 'simple',
    });
  });

  it('says why a version cannot answer', () => {
    const reason = (overrides: Partial<SequenceHorizonRequest>) => (sequenceHorizon(request(overrides)) as { reason: string }).reason;
    expect(reason({ symbol: 'IWM' })).toBe('version 2 of "etf-returns" does not forecast IWM.close (its targets: SPY.close, QQQ.close)');
    expect(reason({ timeframe: '1h' })).toBe('version 2 of "etf-returns" forecasts 1d bars, but the request is about 1h bars');
    expect(reason({ horizon: 5 })).toMatch(/forecasts 3 bars ahead, fewer than this horizon's 5/);
    expect(reason({ dataset: null })).toMatch(/names no dataset it was trained on/);
    expect(reason({ dataset: { name: 'ett', source: 'CSV', spec: null } })).toMatch(
      /trained on the CSV dataset "ett", but .* needs a SERIES dataset of returns/,
    );
    expect(reason({ dataset: { name: 'etfs', source: 'SERIES', spec: { ...spec, returns: false, returnKind: null } } })).toMatch(
      /forecasts price levels, not returns/,
    );
    expect(reason({ version: { version: 2, signature, featureNames: ['SPY.close', 'SPY.volume'] } })).toMatch(/reads SPY.volume, which/);
  });
});

describe('horizonReturn', () => {
  const values = [
    [0.01, 0.02],
    [-0.005, 0.01],
    [0.03, -0.02],
  ];
  const forecast = { values, targets: ['SPY.close', 'QQQ.close'] };

  it('compounds simple returns, and answers a sum of log returns as a simple return', () => {
    expect(horizonReturn(forecast, { target: 'QQQ.close', steps: 2, returnKind: 'simple' })).toBeCloseTo(1.02 * 1.01 - 1, 15);
    expect(horizonReturn(forecast, { target: 'SPY.close', steps: 3, returnKind: 'log' })).toBeCloseTo(Math.exp(0.035) - 1, 15);
  });

  it('is null for a forecast lacking the target or the steps', () => {
    expect(horizonReturn(forecast, { target: 'IWM.close', steps: 1, returnKind: 'log' })).toBeNull();
    expect(horizonReturn(forecast, { target: 'SPY.close', steps: 4, returnKind: 'log' })).toBeNull();
  });
});

describe('historyOf and horizonErrorScale', () => {
  it('reads the channels in the version’s order, row by row, and the last time', () => {
    const table = {
      columns: [
        { name: 'time', type: 'timestamp' as const },
        { name: 'QQQ.close', type: 'number' as const },
        { name: 'SPY.close', type: 'number' as const },
      ],
      rowCount: 2,
      data: [
        [10, 20],
        [0.1, 0.2],
        [1, 2],
      ],
    };
    expect(historyOf(table, ['SPY.close', 'QQQ.close'])).toEqual({
      history: [
        [1, 0.1],
        [2, 0.2],
      ],
      lastTime: 20,
    });
  });

  it('scales the per-step rmse by √steps, and has none without a positive rmse', () => {
    expect(horizonErrorScale(0.01, 4)).toBeCloseTo(0.02, 15);
    expect(horizonErrorScale(undefined, 4)).toBeNull();
    expect(horizonErrorScale(0, 4)).toBeNull();
  });
});
