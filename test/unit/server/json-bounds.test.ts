/** The JSON bounds scanner: exact depth and element counts for any JSON, in any chunking, strings and escapes skipped. */
import fc from 'fast-check';
import { JsonBoundExceeded, JsonBoundsScanner } from '../../../src/server/http/json-bounds';

/** Reference counts from the parsed value: a container is one element plus one per comma between its items. */
function reference(value: unknown, depth = 0): { depth: number; elements: number } {
  if (value === null || typeof value !== 'object') return { depth, elements: 0 };
  const items = Array.isArray(value) ? value : Object.values(value);
  let deepest = depth + 1;
  let elements = 1 + Math.max(0, items.length - 1);
  for (const item of items) {
    const inner = reference(item, depth + 1);
    deepest = Math.max(deepest, inner.depth);
    elements += inner.elements;
  }
  return { depth: deepest, elements };
}

/** Feeds `text` in pieces cut at `cuts` (byte offsets); returns the bound that refused it, if any. */
function scan(text: string, bounds: { maxDepth: number; maxElements: number }, cuts: number[] = []): JsonBoundExceeded | undefined {
  const bytes = Buffer.from(text);
  const scanner = new JsonBoundsScanner(bounds);
  const points = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b);
  let start = 0;
  try {
    for (const point of [...points, bytes.length]) {
      scanner.feed(bytes.subarray(start, point));
      start = point;
    }
  } catch (error) {
    if (error instanceof JsonBoundExceeded) return error;
    throw error;
  }
  return undefined;
}

// Strings full of the bytes the scanner watches: quotes, backslashes, brackets, commas, multi-byte characters.
const trickyString = fc.string({ unit: fc.constantFrom('"', '\\', '[', ']', '{', '}', ',', 'a', 'é', '\u2028', '😀', '\n') });
const json = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, fc.integer(), trickyString, fc.constant(null), tie('array'), tie('object')),
  array: fc.array(tie('value'), { maxLength: 5 }),
  object: fc.dictionary(trickyString, tie('value'), { maxKeys: 5 }),
})).value;

describe('JsonBoundsScanner', () => {
  it('accepts any JSON exactly at its depth and element count, and refuses it one below, however it is chunked', () => {
    fc.assert(
      fc.property(json, fc.array(fc.nat(), { maxLength: 6 }), (value, cuts) => {
        const text = JSON.stringify(value);
        const counts = reference(value);
        expect(scan(text, { maxDepth: counts.depth, maxElements: counts.elements }, cuts)).toBeUndefined();
        if (counts.depth > 0) expect(scan(text, { maxDepth: counts.depth - 1, maxElements: counts.elements }, cuts)?.bound).toBe('depth');
        if (counts.elements > 0)
          expect(scan(text, { maxDepth: counts.depth, maxElements: counts.elements - 1 }, cuts)?.bound).toBe('elements');
      }),
      { numRuns: 500 },
    );
  });

  it('refuses 34 million {} at the element bound after reading only that far', () => {
    const scanner = new JsonBoundsScanner({ maxDepth: 64, maxElements: 1000 });
    const chunk = Buffer.from(`[${'{},'.repeat(20_000)}`);
    expect(() => scanner.feed(chunk)).toThrow(new JsonBoundExceeded('elements', 1000));
  });

  it('refuses deep nesting at the depth bound', () => {
    expect(scan('['.repeat(65), { maxDepth: 64, maxElements: 1e6 })).toEqual(new JsonBoundExceeded('depth', 64));
    expect(scan(`${'['.repeat(64)}${']'.repeat(64)}`, { maxDepth: 64, maxElements: 1e6 })).toBeUndefined();
  });

  it('carries an escape across a chunk boundary', () => {
    // The backslash ends the first chunk; the quote it escapes starts the second and must not end the string.
    expect(scan('["a\\"[[[[", 1]', { maxDepth: 1, maxElements: 2 }, [4])).toBeUndefined();
  });
});
