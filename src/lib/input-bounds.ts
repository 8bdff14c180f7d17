/**
 * Bounds on what one request may send, and the checks that apply them before any work is done.
 *
 * The GraphQL layer applies these to every argument of every operation (src/schema/input-guard.ts):
 * each string, list and JSON document gets the default bound below unless its input field declares
 * its own (`@Bounded` in src/schema). Services keep their domain rules (name patterns, ranges) and use
 * the same checks for what they take from elsewhere. Every refusal is BAD_USER_INPUT naming the field,
 * and is decided without copying or serialising the input.
 */
import { quote, refuse } from './errors';

/** Per-field bounds; a field states only the ones it changes. */
export interface InputBounds {
  /** Most characters of a string. */
  maxLength?: number;
  /** Most items of a list; for a nested list ([[Float]]) one entry per level, outermost first. */
  maxItems?: number | readonly number[];
  /** JSON documents (JSON / JSONObject): deepest nesting, most values, most characters of strings and keys. */
  maxDepth?: number;
  maxNodes?: number;
  maxChars?: number;
}

/** The bounds of a field that declares none. */
export const DEFAULT_BOUNDS = {
  maxLength: 1_000,
  maxItems: 1_000,
  maxDepth: 32,
  maxNodes: 50_000,
  maxChars: 1_000_000,
} as const satisfies Required<InputBounds>;

/** Named bounds that more than one place uses. */
export const INPUT_LIMITS = {
  /** A request id names one request in the predictions index (which refuses rows over ~2,700 bytes). */
  requestIdLength: 200,
  /** A file name inside an imported artifact. */
  filePathLength: 255,
  /** Features of one row (predict) and feature names of one model. */
  features: 10_000,
  /** Characters of an inline file: an artifact's base64 or a CSV text (the HTTP body limit is the outer bound). */
  fileChars: 128 * 1024 * 1024,
} as const;

/** A surrogate without its partner: not well-formed UTF-16, so not storable as UTF-8 text or in jsonb. */
const UNPAIRED_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Refuses `text` when it is longer than `max`, holds a NUL or is not well-formed UTF-16 (neither can be stored as text). */
export function checkText(field: string, text: string, max: number): void {
  if (text.length > max) refuse(field, `to be at most ${max} characters`, `${text.length}`);
  if (text.includes('\u0000')) refuse(field, 'to hold no NUL character', `one at offset ${text.indexOf('\u0000')}`);
  if (UNPAIRED_SURROGATE.test(text)) refuse(field, 'to be well-formed Unicode text', 'an unpaired surrogate');
}

/** Refuses a list longer than `max`. */
export function checkItems(field: string, items: readonly unknown[], max: number): void {
  if (items.length > max) refuse(field, `to hold at most ${max} items`, `${items.length}`);
}

/**
 * Walks a JSON document (iteratively: no depth can overflow the stack) and refuses it when it nests
 * deeper than maxDepth, holds more than maxNodes values or more than maxChars characters of strings
 * and keys, or holds a string or key that checkText refuses, or a number that is not finite.
 */
export function checkJson(field: string, document: unknown, bounds: Pick<InputBounds, 'maxDepth' | 'maxNodes' | 'maxChars'> = {}): void {
  const maxDepth = bounds.maxDepth ?? DEFAULT_BOUNDS.maxDepth;
  const maxNodes = bounds.maxNodes ?? DEFAULT_BOUNDS.maxNodes;
  const maxChars = bounds.maxChars ?? DEFAULT_BOUNDS.maxChars;
  let nodes = 0;
  let chars = 0;
  const stack: { value: unknown; depth: number }[] = [{ value: document, depth: 1 }];
  const countText = (text: string) => {
    chars += text.length;
    if (chars > maxChars) refuse(field, `to hold at most ${maxChars} characters of strings and keys`, 'more');
    checkText(field, text, maxChars);
  };
  while (stack.length > 0) {
    const { value, depth } = stack.pop()!;
    if (++nodes > maxNodes) refuse(field, `to hold at most ${maxNodes} JSON values`, 'more');
    if (typeof value === 'string') countText(value);
    else if (typeof value === 'number' && !Number.isFinite(value)) refuse(field, 'to hold finite numbers', value);
    else if (value !== null && typeof value === 'object') {
      if (depth > maxDepth) refuse(field, `to nest at most ${maxDepth} levels deep`, 'deeper');
      if (Array.isArray(value)) {
        for (let i = value.length - 1; i >= 0; i--) stack.push({ value: value[i], depth: depth + 1 });
      } else {
        for (const key in value) {
          if (!Object.hasOwn(value, key)) continue;
          countText(key);
          stack.push({ value: (value as Record<string, unknown>)[key], depth: depth + 1 });
        }
      }
    }
  }
}

/**
 * Refuses a file path that is not a safe relative one: empty, longer than INPUT_LIMITS.filePathLength,
 * holding a NUL or another control character or a backslash, absolute, or with an empty, '.' or '..'
 * segment. A path that passes can be joined under any directory or key prefix without leaving it.
 */
export function checkRelativePath(field: string, path: string): void {
  const max = INPUT_LIMITS.filePathLength;
  const expectation = `to be a relative file path such as "model.json" (up to ${max} characters, '/'-separated, no '..')`;
  if (path.length === 0 || path.length > max) refuse(field, expectation, path.length === 0 ? 'an empty path' : `${path.length} characters`);
  if (/[\u0000-\u001f\u007f\\]/.test(path)) refuse(field, expectation, `${quote(path)} (a control character or backslash)`);
  if (UNPAIRED_SURROGATE.test(path)) refuse(field, expectation, 'an unpaired surrogate');
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path)) refuse(field, expectation, `${quote(path)} (an absolute path)`);
  if (path.split('/').some((segment) => segment === '' || segment === '.' || segment === '..')) {
    refuse(field, expectation, `${quote(path)} (an empty, '.' or '..' segment)`);
  }
}
