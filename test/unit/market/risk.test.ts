import { InvalidInputError } from '../../../src/lib/errors';
import { type RiskInput, assessRisk } from '../../../src/trading/risk';

// Standard normal constants (scipy.stats.norm): ppf(0.95), pdf(ppf(0.95)), cdf(−0.25), ppf(0.99)
const Z95 = 1.6448536269514722;
const PHI_Z95 = 0.10313564037537137;
const CDF_MINUS_QUARTER = 0.4012936743170763;
const Z99 = 2.3263478740408408;

const input: RiskInput = {
  predictions: [
    { horizon: 4, expectedReturn: 0.01 },
    { horizon: 1, expectedReturn: 0.002 },
  ],
  volatility: 0.02,
  positionValue: 10_000,
};

describe('assessRisk', () => {
  it('computes σ√h, parametric VaR, CVaR and the probability of loss per horizon (hand-computed)', () => {
    const { confidenceLevel, horizons } = assessRisk(input);
    expect(confidenceLevel).toBe(0.95);
    expect(horizons.map((h) => h.horizon)).toEqual([1, 4]);
    const [one, four] = horizons;
    // h = 1: σ_h = 0.02, PnL ~ N(20, 200²)
    expect(one.volatility).toBeCloseTo(0.02, 15);
    expect(one.expectedPnl).toBeCloseTo(20, 10);
    expect(one.valueAtRisk).toBeCloseTo(-20 + Z95 * 200, 9);
    // h = 4: σ_h = 0.04, PnL ~ N(100, 400²): VaR = −100 + 1.6449·400 = 557.94; CVaR = −100 + 400·φ(z)/0.05 = 725.09
    expect(four.volatility).toBeCloseTo(0.04, 15);
    expect(four.valueAtRisk).toBeCloseTo(557.941450780589, 6);
    expect(four.expectedShortfall).toBeCloseTo(-100 + (400 * PHI_Z95) / 0.05, 6);
    expect(four.expectedShortfall).toBeCloseTo(725.085123, 5);
    expect(four.probabilityOfLoss).toBeCloseTo(CDF_MINUS_QUARTER, 12);
  });

  it('treats a short position symmetrically: the expected gain becomes an expected loss', () => {
    const [, four] = assessRisk({ ...input, positionValue: -10_000 }).horizons;
    expect(four.expectedPnl).toBeCloseTo(-100, 10);
    expect(four.valueAtRisk).toBeCloseTo(100 + Z95 * 400, 6);
    expect(four.probabilityOfLoss).toBeCloseTo(1 - CDF_MINUS_QUARTER, 12);
  });

  it('uses the given confidence level', () => {
    const [, four] = assessRisk({ ...input, confidenceLevel: 0.99 }).horizons;
    expect(four.valueAtRisk).toBeCloseTo(-100 + Z99 * 400, 6);
  });

  it('with zero volatility the loss is the expected loss, certain or impossible', () => {
    const long = assessRisk({ ...input, volatility: 0 }).horizons[1];
    expect(long).toEqual({
      horizon: 4,
      expectedReturn: 0.01,
      volatility: 0,
      expectedPnl: 100,
      valueAtRisk: -100,
      expectedShortfall: -100,
      probabilityOfLoss: 0,
    });
    const losing = assessRisk({
      predictions: [{ horizon: 2, expectedReturn: -0.01 }],
      volatility: 0,
      positionValue: 1000,
    }).horizons[0];
    expect(losing.valueAtRisk).toBeCloseTo(10, 12);
    expect(losing.probabilityOfLoss).toBe(1);
    const flat = assessRisk({ ...input, positionValue: 0 }).horizons[0];
    expect([flat.valueAtRisk, flat.expectedShortfall, flat.probabilityOfLoss]).toEqual([0, 0, 0]);
  });

  it('CVaR is never below VaR', () => {
    for (const confidenceLevel of [0.9, 0.95, 0.975, 0.99]) {
      for (const h of assessRisk({ ...input, confidenceLevel }).horizons) expect(h.expectedShortfall).toBeGreaterThan(h.valueAtRisk);
    }
  });

  it.each([
    ['predictions[0].horizon', { predictions: [{ horizon: 0, expectedReturn: 0 }] }],
    [
      'predictions[1].horizon',
      {
        predictions: [
          { horizon: 2, expectedReturn: 0 },
          { horizon: 2, expectedReturn: 0.1 },
        ],
      },
    ],
    ['predictions[0].expectedReturn', { predictions: [{ horizon: 1, expectedReturn: -1.5 }] }],
    ['predictions', { predictions: [] }],
    ['volatility', { volatility: -0.1 }],
    ['volatility', { volatility: NaN }],
    ['positionValue', { positionValue: Infinity }],
    ['confidenceLevel', { confidenceLevel: 1 }],
    ['confidenceLevel', { confidenceLevel: 0.4 }],
  ])('refuses a bad %s', (field, overrides) => {
    const call = () => assessRisk({ ...input, ...overrides });
    expect(call).toThrow(InvalidInputError);
    expect(call).toThrow(`expects ${field} `);
  });
});
