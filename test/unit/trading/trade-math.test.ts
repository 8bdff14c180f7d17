import fc from 'fast-check';
import { InvalidInputError } from '../../../src/lib/errors';
import { predictionActual, tradeResult, type TradeEntry } from '../../../src/lib/trade-math';

const entry: TradeEntry = { side: 'LONG', quantity: 10, entryPrice: 100, entryTime: new Date('2024-03-01T14:30:00Z') };
const exitTime = new Date('2024-03-03T14:30:00Z');

describe('tradeResult', () => {
  it('computes a long trade by hand: pnl, return on notional, price return, holding period, success', () => {
    // (104.5 − 100) × 10 − 3 = 42; 42 / 1000 = 0.042
    expect(tradeResult(entry, { exitPrice: 104.5, exitTime, fees: 3 })).toEqual({
      pnl: 42,
      realizedReturn: 0.042,
      priceReturn: 0.04499999999999993,
      holdingPeriodSeconds: 172_800,
      success: true,
    });
  });

  it('computes a short trade: it earns when the price falls, while the price return keeps the market’s sign', () => {
    // −(96 − 100) × 10 − 0 = 40
    const result = tradeResult({ ...entry, side: 'SHORT' }, { exitPrice: 96, exitTime });
    expect(result).toMatchObject({ pnl: 40, realizedReturn: 0.04, success: true });
    expect(result.priceReturn).toBeCloseTo(-0.04, 15);
  });

  it('counts a trade whose fees eat the gain, and a flat one, as unsuccessful', () => {
    expect(tradeResult(entry, { exitPrice: 100.1, exitTime, fees: 1 }).success).toBe(false);
    expect(tradeResult(entry, { exitPrice: 100, exitTime })).toMatchObject({ pnl: 0, success: false, holdingPeriodSeconds: 172_800 });
  });

  it('is antisymmetric in the side (without fees) for any prices', () => {
    const price = fc.double({ min: 0.01, max: 1e6, noNaN: true });
    fc.assert(
      fc.property(price, price, fc.double({ min: 0.001, max: 1e6, noNaN: true }), (entryPrice, exitPrice, quantity) => {
        const long = tradeResult({ ...entry, entryPrice, quantity }, { exitPrice, exitTime });
        const short = tradeResult({ ...entry, side: 'SHORT', entryPrice, quantity }, { exitPrice, exitTime });
        expect(long.pnl).toBeCloseTo(-short.pnl, 6);
        expect(long.priceReturn).toBe(short.priceReturn);
        expect(long.success && short.success).toBe(false);
      }),
      { numRuns: 200, seed: 3 },
    );
  });

  it.each([
    ['exitTime', () => tradeResult(entry, { exitPrice: 101, exitTime: new Date('2024-03-01T14:29:59Z') }), 'expects exitTime not to be before the entry at 2024-03-01T14:30:00.000Z, but got 2024-03-01T14:29:59.000Z'],
    ['quantity', () => tradeResult({ ...entry, quantity: 0 }, { exitPrice: 101, exitTime }), 'expects quantity to be a finite number > 0, but got 0'],
    ['quantity', () => tradeResult({ ...entry, quantity: -5 }, { exitPrice: 101, exitTime }), 'expects quantity to be a finite number > 0, but got -5'],
    ['exitPrice', () => tradeResult(entry, { exitPrice: NaN, exitTime }), 'expects exitPrice to be a finite price > 0, but got NaN'],
    ['entryPrice', () => tradeResult({ ...entry, entryPrice: -1 }, { exitPrice: 101, exitTime }), 'expects entryPrice to be a finite price > 0, but got -1'],
    ['fees', () => tradeResult(entry, { exitPrice: 101, exitTime, fees: -0.5 }), 'expects fees to be a finite amount ≥ 0, but got -0.5'],
    ['side', () => tradeResult({ ...entry, side: 'FLAT' as 'LONG' }, { exitPrice: 101, exitTime }), 'expects side to be one of LONG, SHORT, but got FLAT'],
  ])('refuses a bad %s', (field, call, message) => {
    expect(call).toThrow(new InvalidInputError(message));
    try {
      call();
    } catch (error) {
      expect((error as InvalidInputError).details).toEqual({ field });
    }
  });
});

describe('predictionActual', () => {
  it('scores a regression against the price return and a binary model against the direction', () => {
    expect(predictionActual('regression', { priceReturn: -0.012 })).toBe(-0.012);
    expect(predictionActual('binary', { priceReturn: 0.003 })).toBe(1);
    expect(predictionActual('binary', { priceReturn: 0 })).toBe(0);
    expect(predictionActual('binary', { priceReturn: -0.2 })).toBe(0);
  });
});
