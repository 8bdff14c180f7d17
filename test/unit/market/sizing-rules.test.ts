import fc from 'fast-check';
import { InvalidInputError } from '../../../src/lib/errors';
import { DEFAULT_SIZING_RULES, type SizingInput, positionSizeMultiplier } from '../../../src/trading/sizing-rules';

const base: SizingInput = { winProbability: 0.6, payoffRatio: 1.5, currentDrawdown: 0.05, realizedVolatility: 0.2 };

describe('positionSizeMultiplier', () => {
  it('combines half-Kelly, the drawdown scale and volatility targeting (hand-computed)', () => {
    // f* = 0.6 − 0.4/1.5 = 1/3; half-Kelly 1/6 of equity = (1/6)/0.1 = 5/3 × base;
    // drawdown 0.05 of 0.2 → 0.75; volatility 0.15/0.2 → 0.75; 5/3 × 0.5625 = 0.9375
    const size = positionSizeMultiplier(base);
    expect(size.kelly.full).toBeCloseTo(1 / 3, 12);
    expect(size.kelly.fraction).toBeCloseTo(1 / 6, 12);
    expect(size.kelly.multiplier).toBeCloseTo(5 / 3, 12);
    expect(size.drawdownScale).toBeCloseTo(0.75, 12);
    expect(size.volatilityScale).toBeCloseTo(0.75, 12);
    expect(size.multiplier).toBeCloseTo(0.9375, 12);
    expect(size.limitsApplied).toEqual([]);
    expect(size.explanation).toBe(
      'Kelly 0.3333 × 0.5 → 0.1667 of equity = 1.6667× base; drawdown 0.05 of max 0.2 → ×0.75; ' +
        'volatility target 0.15 / 0.2 → ×0.75; multiplier 0.9375',
    );
  });

  it('stays out at confidence 0 and caps at confidence 1', () => {
    const none = positionSizeMultiplier({ ...base, winProbability: 0 });
    expect(none.kelly.full).toBeCloseTo(-1 / 1.5, 12);
    expect(none.multiplier).toBe(0);
    expect(none.limitsApplied).toEqual(['no_edge']);

    // f* = 1, half-Kelly 0.5 → capped at 0.25 → 2.5× base; no drawdown; σ at target → 2.5 → capped at 2
    const sure = positionSizeMultiplier({
      winProbability: 1,
      payoffRatio: 2,
      currentDrawdown: 0,
      realizedVolatility: 0.15,
    });
    expect(sure.kelly).toEqual({ full: 1, fraction: 0.25, multiplier: 2.5 });
    expect(sure.multiplier).toBe(2);
    expect(sure.limitsApplied).toEqual(['max_kelly_fraction', 'max_multiplier']);
  });

  it('goes to zero at and beyond the maximum drawdown', () => {
    for (const currentDrawdown of [0.2, 0.35, 1]) {
      const size = positionSizeMultiplier({ ...base, currentDrawdown });
      expect(size.drawdownScale).toBe(0);
      expect(size.multiplier).toBe(0);
      expect(size.limitsApplied).toEqual(['drawdown_stop']);
    }
  });

  it('bounds the volatility scale: zero volatility gives the upper bound, extreme volatility the lower', () => {
    // p 0.55, b 1: f* = 0.1, half-Kelly 0.05 → 0.5× base
    const calm = positionSizeMultiplier({
      winProbability: 0.55,
      payoffRatio: 1,
      currentDrawdown: 0,
      realizedVolatility: 0,
    });
    expect(calm.volatilityScale).toBe(2);
    expect(calm.multiplier).toBeCloseTo(1, 12);
    expect(calm.limitsApplied).toEqual(['max_volatility_scale']);
    const wild = positionSizeMultiplier({
      winProbability: 0.55,
      payoffRatio: 1,
      currentDrawdown: 0,
      realizedVolatility: 1,
    });
    expect(wild.volatilityScale).toBe(0.25);
    expect(wild.multiplier).toBeCloseTo(0.125, 12);
    expect(wild.limitsApplied).toEqual(['min_volatility_scale']);
  });

  it('honours custom rules', () => {
    const full = positionSizeMultiplier(base, {
      ...DEFAULT_SIZING_RULES,
      kellyFraction: 1,
      maxKellyFraction: 1,
      maxMultiplier: 10,
    });
    expect(full.kelly.fraction).toBeCloseTo(1 / 3, 12);
    expect(full.multiplier).toBeCloseTo((10 / 3) * 0.5625, 12);
  });

  it('stays within [0, maxMultiplier], never rises with drawdown and never falls with confidence', () => {
    const unit = fc.double({ min: 0, max: 1, noNaN: true });
    fc.assert(
      fc.property(
        unit,
        unit,
        fc.double({ min: 0.1, max: 5, noNaN: true }),
        unit,
        unit,
        fc.double({ min: 0, max: 2, noNaN: true }),
        (p1, p2, b, d1, d2, sigma) => {
          const at = (p: number, d: number) =>
            positionSizeMultiplier({ winProbability: p, payoffRatio: b, currentDrawdown: d, realizedVolatility: sigma }).multiplier;
          const m = at(p1, d1);
          expect(m).toBeGreaterThanOrEqual(0);
          expect(m).toBeLessThanOrEqual(DEFAULT_SIZING_RULES.maxMultiplier);
          expect(at(p1, Math.max(d1, d2))).toBeLessThanOrEqual(at(p1, Math.min(d1, d2)));
          expect(at(Math.max(p1, p2), d1)).toBeGreaterThanOrEqual(at(Math.min(p1, p2), d1));
        },
      ),
      { numRuns: 300, seed: 11 },
    );
  });

  it.each([
    ['winProbability', { winProbability: 1.2 }],
    ['winProbability', { winProbability: NaN }],
    ['payoffRatio', { payoffRatio: 0 }],
    ['currentDrawdown', { currentDrawdown: -0.1 }],
    ['currentDrawdown', { currentDrawdown: 1.5 }],
    ['realizedVolatility', { realizedVolatility: -0.01 }],
    ['realizedVolatility', { realizedVolatility: Infinity }],
  ])('refuses a bad %s, naming it', (field, overrides) => {
    expect(() => positionSizeMultiplier({ ...base, ...overrides })).toThrow(InvalidInputError);
    expect(() => positionSizeMultiplier({ ...base, ...overrides })).toThrow(new RegExp(`^expects ${field} `));
  });

  it('refuses inconsistent rules', () => {
    expect(() => positionSizeMultiplier(base, { ...DEFAULT_SIZING_RULES, maxDrawdown: 0 })).toThrow(/rules.maxDrawdown in \(0, 1\]/);
    expect(() => positionSizeMultiplier(base, { ...DEFAULT_SIZING_RULES, minVolatilityScale: 3 })).toThrow(/rules.minVolatilityScale/);
    expect(() => positionSizeMultiplier(base, { ...DEFAULT_SIZING_RULES, baseFraction: 0 })).toThrow(/rules.baseFraction/);
  });
});
