/**
 * Bounds a JSON text's nesting depth and element count while its bytes stream in, so that a body
 * that would cost JSON.parse much memory (millions of tiny values) or stack (deep nesting) is
 * refused before it is parsed, and before the rest of it is read. It does not check that the text is
 * JSON: JSON.parse does that, once the whole body is in and within bounds.
 *
 * Outside strings, every `[` and `{` opens a level and counts as an element, every `,` counts as an
 * element (so a container of n items costs 1 + (n − 1)); `]` and `}` close a level. Strings are
 * skipped with indexOf (base64 files are long strings), escapes included; state carries across
 * chunk boundaries.
 */
export interface JsonBounds {
  maxDepth: number;
  maxElements: number;
}

/** Thrown by `feed` when the text crosses a bound: which one, and its limit. */
export class JsonBoundExceeded extends Error {
  constructor(
    readonly bound: 'depth' | 'elements',
    readonly limit: number,
  ) {
    super(bound === 'depth' ? `JSON nested deeper than ${limit} levels` : `JSON with more than ${limit} elements`);
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const OPEN_OBJECT = 0x7b;
const CLOSE_ARRAY = 0x5d;
const CLOSE_OBJECT = 0x7d;
const COMMA = 0x2c;

export class JsonBoundsScanner {
  private depth = 0;
  private elements = 0;
  private inString = false;
  /** The previous chunk ended on a backslash inside a string: the next byte is escaped. */
  private escapePending = false;

  constructor(private readonly bounds: JsonBounds) {}

  /** Scans the next chunk of the text; throws JsonBoundExceeded when it crosses a bound. */
  feed(chunk: Buffer): void {
    const { maxDepth, maxElements } = this.bounds;
    const length = chunk.length;
    let { depth, elements, inString } = this;
    let i = 0;
    if (this.escapePending && length > 0) {
      this.escapePending = false;
      i = 1;
    }
    let nextBackslash = -2; // not yet searched in this chunk
    try {
      while (i < length) {
        if (inString) {
          const quote = chunk.indexOf(QUOTE, i);
          if (nextBackslash !== -1 && nextBackslash < i) nextBackslash = chunk.indexOf(BACKSLASH, i);
          if (nextBackslash !== -1 && (quote === -1 || nextBackslash < quote)) {
            // An escape: skip the backslash and the byte it escapes (in the next chunk, if this one ends).
            if (nextBackslash + 1 >= length) this.escapePending = true;
            i = nextBackslash + 2;
            continue;
          }
          if (quote === -1) break;
          inString = false;
          i = quote + 1;
          continue;
        }
        const byte = chunk[i++];
        if (byte === QUOTE) {
          inString = true;
        } else if (byte === OPEN_ARRAY || byte === OPEN_OBJECT) {
          if (++depth > maxDepth) throw new JsonBoundExceeded('depth', maxDepth);
          if (++elements > maxElements) throw new JsonBoundExceeded('elements', maxElements);
        } else if (byte === CLOSE_ARRAY || byte === CLOSE_OBJECT) {
          depth--;
        } else if (byte === COMMA) {
          if (++elements > maxElements) throw new JsonBoundExceeded('elements', maxElements);
        }
      }
    } finally {
      this.depth = depth;
      this.elements = elements;
      this.inString = inString;
    }
  }
}
