import fc from 'fast-check';
import { InvalidInputError } from '../../../src/lib/errors';
import { checkEntry, predictionActual, TRADE_LIMITS, tradeResult, type TradeEntry } from '../../../src/lib/trade-math';

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
    [
      'exitTime',
      () => tradeResult(entry, { exitPrice: 101, exitTime: new Date('2024-03-01T14:29:59Z') }),
      'expects exitTime not to be before the entry at 2024-03-01T14:30:00.000Z, but got 2024-03-01T14:29:59.000Z',
    ],
    [
      'quantity',
      () => tradeResult({ ...entry, quantity: 0 }, { exitPrice: 101, exitTime }),
      'expects quantity to be a finite number > 0, but got 0',
    ],
    [
      'quantity',
      () => tradeResult({ ...entry, quantity: -5 }, { exitPrice: 101, exitTime }),
      'expects quantity to be a finite number > 0, but got -5',
    ],
    ['exitPrice', () => tradeResult(entry, { exitPrice: NaN, exitTime }), 'expects exitPrice to be a finite price > 0, but got NaN'],
    [
      'entryPrice',
      () => tradeResult({ ...entry, entryPrice: -1 }, { exitPrice: 101, exitTime }),
      'expects entryPrice to be a finite price > 0, but got -1',
    ],
    ['fees', () => tradeResult(entry, { exitPrice: 101, exitTime, fees: -0.5 }), 'expects fees to be a finite amount ≥ 0, but got -0.5'],
    [
      'side',
      () => tradeResult({ ...entry, side: 'FLAT' as 'LONG' }, { exitPrice: 101, exitTime }),
      'expects side to be one of LONG, SHORT, but got FLAT',
    ],
  ])('refuses a bad %s', (field, call, message) => {
    expect(call).toThrow(new InvalidInputError(message));
    try {
      call();
    } catch (error) {
      expect((error as InvalidInputError).details).toEqual({ field });
    }
  });
});

describe('tradeResult within TRADE_LIMITS', () => {
  it('refuses an execution whose notional overflows (1e308 × 1e308) or underflows, naming the field', () => {
    expect(() => checkEntry({ ...entry, quantity: 1e308, entryPrice: 1e308 })).toThrow(
      /^expects quantity to be at most 1000000000000000, but got 1e\+308$/,
    );
    expect(() => checkEntry({ ...entry, quantity: 1e14, entryPrice: 1e6 })).toThrow(
      'expects entryPrice × quantity to be a notional in [1e-9, 1000000000000000], but got 1000000 × 100000000000000 = 100000000000000000000',
    );
    expect(() => checkEntry({ ...entry, quantity: 1e-300, entryPrice: 1 })).toThrow(/notional in \[1e-9/);
    expect(() => checkEntry({ ...entry, entryPrice: 5e-324 })).toThrow(
      'expects entryPrice to be a price in [1e-12, 1000000000000], but got 5e-324',
    );
  });

  it('refuses a close whose exit notional or fees overflow', () => {
    expect(() => tradeResult({ ...entry, quantity: 1e12, entryPrice: 1 }, { exitPrice: 1e9, exitTime })).toThrow(
      /^expects exitPrice × quantity to be a notional/,
    );
    expect(() => tradeResult(entry, { exitPrice: 101, exitTime, fees: 1e308 })).toThrow(
      'expects fees to be at most 1000000000000000, but got 1e+308',
    );
  });

  it('gives finite figures for every trade it accepts, at the extremes of the limits', () => {
    const { minPrice, maxPrice, maxNotional, minNotional, maxFees } = TRADE_LIMITS;
    const price = fc.oneof(fc.constantFrom(minPrice, maxPrice, 1), fc.double({ min: minPrice, max: maxPrice, noNaN: true }));
    fc.assert(
      fc.property(
        price,
        price,
        fc.double({ min: minNotional, max: maxNotional, noNaN: true }),
        fc.constantFrom(0, maxFees, 1),
        fc.constantFrom('LONG', 'SHORT'),
        (entryPrice, exitPrice, notional, fees, side) => {
          const quantity = notional / entryPrice;
          const trade = { ...entry, side: side as 'LONG' | 'SHORT', entryPrice, quantity };
          let result;
          try {
            checkEntry(trade);
            result = tradeResult(trade, { exitPrice, exitTime, fees });
          } catch (error) {
            expect(error).toBeInstanceOf(InvalidInputError);
            return;
          }
          for (const value of [result.pnl, result.realizedReturn, result.priceReturn]) expect(Number.isFinite(value)).toBe(true);
          expect(Math.abs(result.pnl)).toBeLessThanOrEqual(3e15);
        },
      ),
      { numRuns: 300, seed: 13 },
    );
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
