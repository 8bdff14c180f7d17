/** The checks behind every input bound: text, lists, JSON documents (iteratively) and file paths. */
import { InvalidInputError } from '../../../src/lib/errors';
import { checkItems, checkJson, checkRelativePath, checkText, INPUT_LIMITS } from '../../../src/lib/input-bounds';

function refusal(call: () => void): { message: string; field: unknown } {
  try {
    call();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidInputError);
    return { message: (error as Error).message, field: (error as InvalidInputError).details?.field };
  }
  throw new Error('expected a refusal');
}

describe('checkText', () => {
  it('takes text up to the bound, with any well-formed Unicode', () => {
    expect(() => checkText('name', 'é😀中', 10)).not.toThrow();
  });

  it.each([
    ['too long', 'x'.repeat(201), 'expects requestId to be at most 200 characters, but got 201'],
    ['a NUL', 'ab\u0000c', 'expects requestId to hold no NUL character, but got one at offset 2'],
    ['an unpaired surrogate', 'a\ud800b', 'expects requestId to be well-formed Unicode text, but got an unpaired surrogate'],
    ['a lone low surrogate', '\udc00', 'expects requestId to be well-formed Unicode text, but got an unpaired surrogate'],
  ])('refuses text with %s', (_what, text, message) => {
    expect(refusal(() => checkText('requestId', text, INPUT_LIMITS.requestIdLength))).toEqual({ message, field: 'requestId' });
  });
});

it('checkItems refuses a list over its bound', () => {
  expect(refusal(() => checkItems('rows', new Array(10_001), 10_000))).toEqual({
    message: 'expects rows to hold at most 10000 items, but got 10001',
    field: 'rows',
  });
});

describe('checkJson', () => {
  it('takes a document within its bounds', () => {
    expect(() => checkJson('decision', { state: { regime: 'TRENDING', q: [0.1, -2] }, action: null })).not.toThrow();
  });

  it('refuses a document nested deeper than maxDepth without overflowing the stack (1,000,000 levels)', () => {
    let deep: unknown = 0;
    for (let i = 0; i < 1_000_000; i++) deep = { a: deep };
    expect(refusal(() => checkJson('tags', deep))).toEqual({
      message: 'expects tags to nest at most 32 levels deep, but got deeper',
      field: 'tags',
    });
    let list: unknown = [];
    for (let i = 0; i < 40; i++) list = [list];
    expect(refusal(() => checkJson('rows', list, { maxDepth: 8 })).message).toBe(
      'expects rows to nest at most 8 levels deep, but got deeper',
    );
  });

  it('refuses too many values, too many characters, NUL in a key and non-finite numbers', () => {
    expect(refusal(() => checkJson('rows', new Array(100).fill(1), { maxNodes: 50 })).message).toBe(
      'expects rows to hold at most 50 JSON values, but got more',
    );
    expect(refusal(() => checkJson('tags', { k: 'x'.repeat(20) }, { maxChars: 10 })).message).toBe(
      'expects tags to hold at most 10 characters of strings and keys, but got more',
    );
    expect(refusal(() => checkJson('tags', { 'a\u0000': 1 })).message).toBe(
      'expects tags to hold no NUL character, but got one at offset 1',
    );
    expect(refusal(() => checkJson('features', { x: Infinity })).message).toBe('expects features to hold finite numbers, but got Infinity');
  });
});

describe('checkRelativePath', () => {
  it.each(['model.json', 'model.txt', 'sub/dir/model.onnx', 'a..b'])('takes %s', (path) => {
    expect(() => checkRelativePath('files[0].path', path)).not.toThrow();
  });

  it.each([
    ['a NUL', 'model\u0000.json', 'a control character or backslash'],
    ['a parent segment', '../etc/passwd', "an empty, '.' or '..' segment"],
    ['an inner parent segment', 'a/../../b', "an empty, '.' or '..' segment"],
    ['an absolute path', '/etc/passwd', 'an absolute path'],
    ['a drive letter', 'C:/x', 'an absolute path'],
    ['a backslash', '..\\x', 'a control character or backslash'],
    ['an empty segment', 'a//b', "an empty, '.' or '..' segment"],
    ['nothing', '', 'an empty path'],
    ['too many characters', 'x'.repeat(256), '256 characters'],
  ])('refuses %s', (_what, path, reason) => {
    const { message, field } = refusal(() => checkRelativePath('files[0].path', path));
    expect(field).toBe('files[0].path');
    expect(message).toMatch(/^expects files\[0\]\.path to be a relative file path such as "model\.json"/);
    expect(message).toContain(reason);
  });
});
