/** Messages quote at most a bounded excerpt of an input, however large or deeply nested it is. */
import { excerpt, InvalidInputError, MAX_MESSAGE_LENGTH, NotFoundError, QUOTED_INPUT_MAX, quote, refuse } from '../../../src/lib/errors';

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
    expect(() => refuse('quantity', 'to be a finite number > 0', -5)).toThrow(new InvalidInputError('expects quantity to be a finite number > 0, but got -5'));
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
