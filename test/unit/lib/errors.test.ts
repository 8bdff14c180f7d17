/** Messages quote at most a bounded excerpt of an input, however large or deeply nested it is. */
import {
  excerpt,
  InvalidInputError,
  MAX_MESSAGE_LENGTH,
  NotFoundError,
  QUOTED_INPUT_MAX,
  quote,
  refuse,
  refusal,
  requireFinite,
  requireFiniteEach,
} from '../../../src/lib/errors';

describe('quote', () => {
  it('quotes a short string whole, as JSON', () => {
    expect(quote('returns-1d')).toBe('"returns-1d"');
    expect(quote('a"b\n')).toBe('"a\\"b\\n"');
  });

  it('keeps the first QUOTED_INPUT_MAX characters of a long one and says how long it was', () => {
    const name = 'x'.repeat(50 * 1024 * 1024);
    const shown = quote(name);
    expect(shown).toBe(`"${'x'.repeat(QUOTED_INPUT_MAX)}"… (${name.length} characters)`);
  });

  it('never cuts a surrogate pair in half', () => {
    const text = `${'a'.repeat(QUOTED_INPUT_MAX - 1)}😀😀`;
    const shown = quote(text);
    expect(shown).not.toMatch(/\\ud83d"/i);
    expect(shown.startsWith(`"${'a'.repeat(QUOTED_INPUT_MAX - 1)}"`)).toBe(true);
  });
});

describe('excerpt', () => {
  it('shows numbers and short descriptions as they are', () => {
    expect(excerpt(1e308)).toBe('1e+308');
    expect(excerpt(NaN)).toBe('NaN');
    expect(excerpt('none')).toBe('none');
    expect(excerpt(null)).toBe('null');
  });

  it('shows a list or object as JSON, bounded in size and depth', () => {
    expect(excerpt({ a: [1, 2], b: 'x' })).toBe('{"a": [1, 2], "b": "x"}');
    const huge = Array.from({ length: 1_000_000 }, (_, i) => i);
    expect(excerpt(huge).length).toBeLessThan(3 * QUOTED_INPUT_MAX);
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(excerpt(deep)).toBe('[[[[[…]]]]]');
  });
});

describe('refuse and the message bound', () => {
  it('builds "expects X, but got Y" with the field, quoting a bounded excerpt', () => {
    expect.assertions(4);
    expect(() => refuse('quantity', 'to be a finite number > 0', -5)).toThrow(
      new InvalidInputError('expects quantity to be a finite number > 0, but got -5'),
    );
    try {
      refuse('name', 'to be short', quote('y'.repeat(1_000_000)));
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidInputError);
      expect((error as InvalidInputError).details).toEqual({ field: 'name' });
      expect((error as Error).message.length).toBeLessThan(300);
    }
  });

  it('cuts any coded message at MAX_MESSAGE_LENGTH, whatever a builder put in it', () => {
    const error = new NotFoundError(`no registered model named "${'z'.repeat(52 * 1024 * 1024)}"`);
    expect(error.message.length).toBeLessThanOrEqual(MAX_MESSAGE_LENGTH + 40);
    expect(error.message).toMatch(/^no registered model named "z+… \(\d+ characters\)$/);
  });
});

describe('refusal', () => {
  it('builds "expects X, but got Y" with who expects in front, carrying the details', () => {
    const error = refusal({
      by: "line 7, column 'close':",
      expects: 'a decimal number',
      got: "'1,5'",
      details: { field: 'close', line: 7 },
    });
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error.message).toBe("line 7, column 'close': expects a decimal number, but got '1,5'");
    expect(error.details).toEqual({ field: 'close', line: 7 });
    expect(refusal({ expects: 'quantity to be > 0', got: '-5', details: { field: 'quantity' } }).message).toBe(
      'expects quantity to be > 0, but got -5',
    );
  });
});

describe('requireFinite', () => {
  it('passes a finite number for which the rule holds', () => {
    expect(() => requireFinite('outcome.pnlPercent', -3.5)).not.toThrow();
    expect(() => requireFinite('limits.maxLeverage', 1, 'a number ≥ 1', (v) => v >= 1)).not.toThrow();
  });

  it('refuses a value that is not finite, or breaks the rule, naming the field', () => {
    expect(() => requireFinite('outcome.pnlPercent', NaN)).toThrow(
      new InvalidInputError('outcome.pnlPercent expects a finite number, but got NaN'),
    );
    expect(() => requireFinite('limits.maxLeverage', Infinity, 'a number ≥ 1', (v) => v >= 1)).toThrow(
      new InvalidInputError('limits.maxLeverage expects a number ≥ 1, but got Infinity'),
    );
    expect.assertions(4);
    try {
      requireFinite('confidence', 1.5, 'a signal confidence in [0, 1]', (v) => v >= 0 && v <= 1);
    } catch (error) {
      expect((error as InvalidInputError).message).toBe('confidence expects a signal confidence in [0, 1], but got 1.5');
      expect((error as InvalidInputError).details).toEqual({ field: 'confidence' });
    }
  });

  it('refuses what is not a number at all, as it came', () => {
    expect(() => requireFinite('reward', '3' as unknown as number)).toThrow(
      new InvalidInputError('reward expects a finite number, but got 3'),
    );
    expect(() => requireFinite('reward', null as unknown as number)).toThrow(
      new InvalidInputError('reward expects a finite number, but got null'),
    );
  });
});

describe('requireFiniteEach', () => {
  it('passes a list of finite numbers, an empty one included', () => {
    expect(() => requireFiniteEach('values', [0, -1.5, 1e308])).not.toThrow();
    expect(() => requireFiniteEach('values', new Float64Array(0))).not.toThrow();
  });

  it('refuses the first value that is not finite, with its index', () => {
    expect(() => requireFiniteEach('reference', Float64Array.from([1, 2, NaN, Infinity]))).toThrow(
      new InvalidInputError('reference expects finite numbers, but got NaN at index 2'),
    );
    expect(() => requireFiniteEach('returns', [0.01, -Infinity])).toThrow(
      new InvalidInputError('returns expects finite numbers, but got -Infinity at index 1'),
    );
  });
});
