import fc from 'fast-check';
import { join, relative, sep } from 'node:path';
import { InvalidInputError } from '../../../src/lib/errors';
import { validateKey, validateMove, validatePrefix } from '../../../src/storage/keys';

const ROOT = join(sep, 'data', 'artifacts');

function refusal(action: () => unknown): InvalidInputError {
  try {
    action();
  } catch (error) {
    if (error instanceof InvalidInputError) return error;
    throw error;
  }
  throw new Error('expected an InvalidInputError, but the call succeeded');
}

describe('validateKey', () => {
  it('accepts the key shapes the services write', () => {
    for (const key of ['models/spy-direction/v12/model.onnx', 'datasets/0b9c6f1e/rows.csv', 'archive/models/a b/v1/ünïcode.json']) {
      expect(validateKey(key)).toBe(key);
    }
  });

  it.each([
    ['../escape', "starts with '.'"],
    ['models/../../escape', "starts with '.'"],
    ['models/.hidden', "starts with '.'"],
    ['/etc/passwd', 'it is absolute'],
    ['models\\a', 'backslash'],
    ['models//a', 'empty segment'],
    ['models/a/', 'empty segment'],
    ['models/a\nb', 'control character'],
    [`models/${'x'.repeat(256)}`, 'longer than 255 bytes'],
    [`${'abcdefgh/'.repeat(114)}x`, 'longer than 1024 bytes'],
  ])('refuses %j, saying why', (key, why) => {
    const error = refusal(() => validateKey(key, 'fromKey'));
    expect(error.message).toContain('expects fromKey to be a relative path such as models/{name}/v{version}/{file}');
    expect(error.message).toContain(JSON.stringify(key));
    expect(error.message).toContain(why);
    expect(error.details).toEqual({ field: 'fromKey' });
  });

  it('refuses the empty key and a value that is not a string', () => {
    expect(refusal(() => validateKey('')).message).toBe(
      'expects key to be a non-empty path such as models/{name}/v{version}/{file}, but got ""',
    );
    expect(refusal(() => validateKey(undefined as unknown as string)).details).toEqual({ field: 'key' });
  });

  it('never accepts a key that resolves outside the root or onto it', () => {
    const pieces = fc.constantFrom('..', '.', '/', '\\', 'a', 'b.c', '', '~', 'C:', '%2e%2e', '\u0000');
    fc.assert(
      fc.property(
        fc.array(pieces, { maxLength: 12 }).map((parts) => parts.join('')),
        (key) => {
          let accepted: string;
          try {
            accepted = validateKey(key);
          } catch (error) {
            if (error instanceof InvalidInputError) return;
            throw error;
          }
          const inside = relative(ROOT, join(ROOT, ...accepted.split('/')));
          expect(inside).not.toBe('');
          expect(inside.startsWith('..')).toBe(false);
          expect(inside.split(sep)).toEqual(accepted.split('/'));
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('validatePrefix', () => {
  it('drops one trailing slash and keeps whole segments', () => {
    expect(validatePrefix('models/a/', { allowEmpty: false })).toBe('models/a');
    expect(validatePrefix('models/a', { allowEmpty: false })).toBe('models/a');
  });

  it('allows the empty prefix only where asked', () => {
    expect(validatePrefix('', { allowEmpty: true })).toBe('');
    expect(refusal(() => validatePrefix('', { allowEmpty: false })).details).toEqual({ field: 'prefix' });
    expect(refusal(() => validatePrefix('/', { allowEmpty: true })).details).toEqual({ field: 'prefix' });
    expect(refusal(() => validatePrefix('models//', { allowEmpty: true })).message).toContain('empty segment');
  });
});

describe('validateMove', () => {
  it('names the offending side and refuses a move onto itself', () => {
    expect(refusal(() => validateMove('../a', 'b')).details).toEqual({ field: 'fromKey' });
    expect(refusal(() => validateMove('a', '../b')).details).toEqual({ field: 'toKey' });
    expect(refusal(() => validateMove('models/a', 'models/a')).message).toBe(
      'expects toKey to differ from fromKey, but both are "models/a"',
    );
    expect(() => validateMove('models/a/v1/m.onnx', 'archive/models/a/v1/m.onnx')).not.toThrow();
  });
});
