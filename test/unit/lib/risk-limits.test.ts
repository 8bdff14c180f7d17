import fc from 'fast-check';
import { InvalidInputError } from '../../../src/lib/errors';
import { clampPositionSize, describeCuts, type PortfolioRisk, type RiskLimits, type SizingDecision } from '../../../src/lib/risk-limits';

const fraction = (min: number, max: number) => fc.double({ min, max, noNaN: true, noDefaultInfinity: true });

const limitsArb: fc.Arbitrary<RiskLimits> = fc.record(
  {
    maxRiskPerTrade: fraction(1e-4, 1),
    maxLeverage: fraction(1, 50),
    maxOpenPositions: fc.integer({ min: 0, max: 20 }),
    maxGrossExposure: fraction(1e-3, 20),
  },
  { requiredKeys: ['maxRiskPerTrade', 'maxLeverage', 'maxOpenPositions'] },
);

const portfolioArb: fc.Arbitrary<PortfolioRisk> = fc.record({
  equity: fraction(1, 1e9),
  openPositions: fc.integer({ min: 0, max: 25 }),
  grossExposure: fraction(0, 1e10),
  stopDistance: fraction(1e-4, 1),
  basePositionFraction: fraction(1e-3, 2),
});

const decisionArb: fc.Arbitrary<SizingDecision> = fc.record({
  sizeMultiplier: fc.oneof(fc.constantFrom(0, 0.3, 0.5, 0.7, 1, 1.5), fraction(0, 10)),
  leverage: fc.oneof(fc.constantFrom(1, 2, 3, 5, 7, 10), fraction(1, 100)),
});

// The limits restated from their definitions, independently of the module's helpers.
const notional = (p: PortfolioRisk, d: SizingDecision) => p.basePositionFraction * d.sizeMultiplier * d.leverage;

describe('clampPositionSize', () => {
  it('never exceeds any limit and never grows a decision, over random portfolios and decisions', () => {
    fc.assert(
      fc.property(limitsArb, portfolioArb, decisionArb, (limits, portfolio, decision) => {
        const out = clampPositionSize(limits, portfolio, decision);
        expect(out.sizeMultiplier).toBeGreaterThanOrEqual(0);
        expect(out.sizeMultiplier).toBeLessThanOrEqual(decision.sizeMultiplier);
        expect(out.leverage).toBeLessThanOrEqual(decision.leverage);
        expect(out.leverage).toBeLessThanOrEqual(limits.maxLeverage);
        expect(notional(portfolio, out) * portfolio.stopDistance).toBeLessThanOrEqual(limits.maxRiskPerTrade);
        if (portfolio.openPositions >= limits.maxOpenPositions) expect(out.sizeMultiplier).toBe(0);
        if (limits.maxGrossExposure !== undefined) {
          const before = portfolio.grossExposure / portfolio.equity;
          if (before <= limits.maxGrossExposure) {
            expect(before + notional(portfolio, out)).toBeLessThanOrEqual(limits.maxGrossExposure);
          } else {
            expect(out.sizeMultiplier).toBe(0); // already over the cap: nothing may be added
          }
        }
      }),
      { numRuns: 5000, seed: 20240601 },
    );
  });

  it('leaves a decision untouched exactly when it names no limit, and names only limits the request broke', () => {
    fc.assert(
      fc.property(limitsArb, portfolioArb, decisionArb, (limits, portfolio, decision) => {
        const out = clampPositionSize(limits, portfolio, decision);
        if (out.clampedBy.length === 0) {
          expect(out.sizeMultiplier).toBe(decision.sizeMultiplier);
          expect(out.leverage).toBe(decision.leverage);
        } else {
          expect(out.sizeMultiplier < decision.sizeMultiplier || out.leverage < decision.leverage).toBe(true);
        }
        const leverage = Math.min(decision.leverage, limits.maxLeverage);
        expect(out.clampedBy.includes('maxLeverage')).toBe(decision.leverage > limits.maxLeverage);
        if (out.clampedBy.includes('maxRiskPerTrade')) {
          expect(notional(portfolio, { ...decision, leverage }) * portfolio.stopDistance).toBeGreaterThan(limits.maxRiskPerTrade);
        }
      }),
      { numRuns: 3000, seed: 7 },
    );
  });

  it('sizes to the risk budget exactly when risk is the binding limit', () => {
    const out = clampPositionSize(
      { maxRiskPerTrade: 0.01, maxLeverage: 10, maxOpenPositions: 5 },
      { equity: 10_000, openPositions: 1, grossExposure: 2_000, stopDistance: 0.02, basePositionFraction: 0.1 },
      { sizeMultiplier: 1.5, leverage: 5 },
    );
    // 0.1 × m × 5 × 0.02 = 0.01  →  m = 1
    expect(out.sizeMultiplier).toBeCloseTo(1, 12);
    expect(out.leverage).toBe(5);
    expect(out.clampedBy).toEqual(['maxRiskPerTrade']);
    expect(out.riskFraction).toBeLessThanOrEqual(0.01);
  });

  it('refuses a new position once the open-position limit is reached, and caps leverage', () => {
    const out = clampPositionSize(
      { maxRiskPerTrade: 0.02, maxLeverage: 3, maxOpenPositions: 2 },
      { equity: 5_000, openPositions: 2, grossExposure: 0, stopDistance: 0.05, basePositionFraction: 0.05 },
      { sizeMultiplier: 0.7, leverage: 7 },
    );
    expect(out).toMatchObject({ sizeMultiplier: 0, leverage: 3, clampedBy: ['maxLeverage', 'maxOpenPositions'] });
    expect(out.cuts).toEqual([
      { limit: 'maxLeverage', quantity: 'leverage', from: 7, to: 3 },
      { limit: 'maxOpenPositions', quantity: 'size multiplier', from: 0.7, to: 0 },
    ]);
    expect(describeCuts(out.cuts)).toBe('maxLeverage cut leverage 7 → 3; maxOpenPositions cut the size multiplier 0.7 → 0');
  });

  it('names the quantity each limit cut, from what to what', () => {
    // Leverage 5 → 3 alone leaves the size multiplier as proposed; the risk limit then cuts it: 0.1 × m × 3 × 0.05 = 0.01 → m = 0.6667.
    const out = clampPositionSize(
      { maxRiskPerTrade: 0.01, maxLeverage: 3, maxOpenPositions: 10 },
      { equity: 10_000, openPositions: 0, grossExposure: 0, stopDistance: 0.05, basePositionFraction: 0.1 },
      { sizeMultiplier: 1.5, leverage: 5 },
    );
    expect(describeCuts(out.cuts)).toBe('maxLeverage cut leverage 5 → 3; maxRiskPerTrade cut the size multiplier 1.5 → 0.6667');
    expect(
      describeCuts(
        clampPositionSize(
          { maxRiskPerTrade: 1, maxLeverage: 3, maxOpenPositions: 10 },
          { equity: 1, openPositions: 0, grossExposure: 0, stopDistance: 0.01, basePositionFraction: 0.1 },
          { sizeMultiplier: 1.5, leverage: 5 },
        ).cuts,
      ),
    ).toBe('maxLeverage cut leverage 5 → 3');
  });

  it('fits the new position into the room left under the gross-exposure cap', () => {
    const out = clampPositionSize(
      { maxRiskPerTrade: 1, maxLeverage: 10, maxOpenPositions: 10, maxGrossExposure: 2 },
      { equity: 1_000, openPositions: 3, grossExposure: 1_500, stopDistance: 0.01, basePositionFraction: 0.1 },
      { sizeMultiplier: 1, leverage: 10 },
    );
    // room 2 − 1.5 = 0.5 of equity; 0.1 × m × 10 = 0.5 → m = 0.5
    expect(out.sizeMultiplier).toBeCloseTo(0.5, 12);
    expect(out.clampedBy).toEqual(['maxGrossExposure']);
  });

  it('refuses bad input with the field and what it expects', () => {
    const limits = { maxRiskPerTrade: 0.02, maxLeverage: 5, maxOpenPositions: 3 };
    const portfolio = { equity: 1_000, openPositions: 0, grossExposure: 0, stopDistance: 0.02, basePositionFraction: 0.1 };
    expect(() => clampPositionSize(limits, portfolio, { sizeMultiplier: Number.NaN, leverage: 1 })).toThrow(
      new InvalidInputError('decision.sizeMultiplier expects a number ≥ 0, but got NaN'),
    );
    expect(() => clampPositionSize(limits, { ...portfolio, equity: 0 }, { sizeMultiplier: 1, leverage: 1 })).toThrow(
      /portfolio\.equity expects an amount > 0, but got 0/,
    );
    expect(() => clampPositionSize({ ...limits, maxLeverage: 0.5 }, portfolio, { sizeMultiplier: 1, leverage: 1 })).toThrow(
      /limits\.maxLeverage expects a number ≥ 1, but got 0\.5/,
    );
    expect(() => clampPositionSize(limits, portfolio, { sizeMultiplier: 1, leverage: Infinity })).toThrow(InvalidInputError);
  });
});
