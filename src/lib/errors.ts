/**
 * Coded domain errors. Services, plugins and storage throw these; the GraphQL layer maps each code to
 * `extensions.code` in one place (src/schema/errors.ts). Messages follow "expects X, but got Y" so a
 * person knows what to change.
 *
 * A message never carries more than a bounded excerpt of an input: builders show inputs through
 * `quote` (a string, JSON-quoted) or `excerpt` (any value), which keep at most QUOTED_INPUT_MAX
 * characters and say how long the rest was; `refusal` is the one "expects X, but got Y" builder; and
 * every KybernetError cuts its message at MAX_MESSAGE_LENGTH as a last bound.
 */
/** The codes clients switch on (ARCHITECTURE.md); finer distinctions travel as `reason`. */
export type ErrorCode = 'BAD_USER_INPUT' | 'NOT_FOUND' | 'CONFLICT' | 'UNAUTHENTICATED' | 'FORBIDDEN' | 'INTERNAL_SERVER_ERROR';

/** The most characters of one input a message quotes. */
export const QUOTED_INPUT_MAX = 120;
/** The longest message a KybernetError carries (a message quoting several inputs stays under it). */
export const MAX_MESSAGE_LENGTH = 2_000;

/** The first `max` characters of `text`, never ending inside a surrogate pair (half of one is not valid UTF-16). */
function prefix(text: string, max: number): string {
  return text.slice(0, /[\uD800-\uDBFF]/.test(text[max - 1] ?? '') ? max - 1 : max);
}

function cut(text: string, max: number): string {
  return text.length <= max ? text : `${prefix(text, max)}… (${text.length} characters)`;
}

/** A string input as a message shows it: JSON-quoted, at most `max` characters of it, then its length. */
export function quote(text: string, max = QUOTED_INPUT_MAX): string {
  return text.length <= max ? JSON.stringify(text) : `${JSON.stringify(prefix(text, max))}… (${text.length} characters)`;
}

/**
 * Any value as a message shows it, in at most about `max` characters: a string as it is (callers
 * pass descriptions such as "none" as well as values; `quote` a raw string input), a number as
 * String gives it, a list or object as JSON cut at `max` (only the part shown is serialised, so a
 * huge or deeply nested input costs no more than its excerpt).
 */
export function excerpt(value: unknown, max = QUOTED_INPUT_MAX): string {
  if (typeof value === 'string') return cut(value, max);
  if (value === null || typeof value !== 'object') return String(value);
  return boundedJson(value, max);
}

/**
 * JSON of `value`, stopped once about `max` characters are written: nesting below the fourth level
 * shows as […] / {…}, and the items after the budget as "… more", so neither a huge nor a deeply
 * nested input costs more than its excerpt.
 */
function boundedJson(value: object, max: number): string {
  let out = '';
  const write = (node: unknown, depth: number): void => {
    if (node === null || typeof node !== 'object') {
      out += typeof node === 'string' ? quote(node, max) : String(node ?? null);
      return;
    }
    const list = Array.isArray(node);
    if (depth >= 4) {
      out += list ? '[…]' : '{…}';
      return;
    }
    out += list ? '[' : '{';
    let written = 0;
    for (const key in node) {
      if (!Object.hasOwn(node, key)) continue;
      if (out.length > max) {
        out += ', …';
        break;
      }
      if (written++ > 0) out += ', ';
      if (!list) out += `${quote(key, 40)}: `;
      write((node as Record<string, unknown>)[key], depth + 1);
    }
    out += list ? ']' : '}';
  };
  write(value, 0);
  return cut(out, max * 2);
}

export class KybernetError extends Error {
  /** A stable, more specific name than `code`, e.g. MODEL_NOT_READY; sent as `extensions.reason`. */
  readonly reason: string;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
    reason?: string,
  ) {
    super(cut(message, MAX_MESSAGE_LENGTH));
    this.name = new.target.name;
    this.reason = reason ?? code;
  }
}

/** The caller sent something we cannot use; `field` names the offending input path where known. */
export class InvalidInputError extends KybernetError {
  constructor(message: string, details?: { field?: string } & Record<string, unknown>) {
    super('BAD_USER_INPUT', message, details);
  }
}

/** What a refusal says: who expects (`by`: a field, or a place such as "line 3, column 'close':"), what, and what came instead. */
export interface Refusal {
  by?: string;
  expects: string;
  /** What came, as the message shows it: an input goes through `quote` or `excerpt` to stay bounded. */
  got: string;
  /** Travels with the error: the offending `field` at least. */
  details: { field: string } & Record<string, unknown>;
}

/**
 * The one "expects X, but got Y" builder: `${by} expects ${expects}, but got ${got}` (without `by`,
 * `expects …`), a BAD_USER_INPUT carrying `details`. `refuse`, `requireFinite`, `requireFiniteEach`
 * and the checks of bars, CSV cells and policy documents all build their refusals with it.
 */
export function refusal({ by, expects, got, details }: Refusal): InvalidInputError {
  return new InvalidInputError(`${by === undefined ? '' : `${by} `}expects ${expects}, but got ${got}`, details);
}

/**
 * The common refusal: `expects ${field} ${expectation}, but got ${excerpt(got)}`, BAD_USER_INPUT with
 * `field`. Pass a raw string input through `quote` to show it quoted.
 */
export function refuse(field: string, expectation: string, got: unknown): never {
  throw refusal({ expects: `${field} ${expectation}`, got: excerpt(got), details: { field } });
}

/**
 * The finite-number check: refuses `value` unless it is a finite number for which `ok` holds, as
 * `${field} expects ${expectation}, but got ${value}`.
 */
export function requireFinite(
  field: string,
  value: number,
  expectation = 'a finite number',
  ok: (value: number) => boolean = () => true,
): void {
  if (!Number.isFinite(value) || !ok(value)) throw refusal({ by: field, expects: expectation, got: String(value), details: { field } });
}

/**
 * The finite-number check of a list: the first of `values` that is not finite is refused as `${field} expects finite numbers, but got
 * ${value} at index ${i}`.
 */
export function requireFiniteEach(field: string, values: ArrayLike<number>): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i]))
      throw refusal({ by: field, expects: 'finite numbers', got: `${values[i]} at index ${i}`, details: { field } });
  }
}

export class NotFoundError extends KybernetError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('NOT_FOUND', message, details);
  }
}

/** The request contradicts current state: a duplicate name, a lost race, a transition not allowed. */
export class ConflictError extends KybernetError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('CONFLICT', message, details);
  }
}

export class UnauthenticatedError extends KybernetError {
  constructor(message: string) {
    super('UNAUTHENTICATED', message);
  }
}

export class ForbiddenError extends KybernetError {
  constructor(message: string) {
    super('FORBIDDEN', message);
  }
}

/** The model exists but has nothing servable (no ACTIVE version, or its artifact cannot be loaded). */
export class ModelNotReadyError extends KybernetError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('CONFLICT', message, details, 'MODEL_NOT_READY');
  }
}

/** A version the gate before SHADOW REJECTED was asked to go live without `force: true` and a reason. */
export class GateFailedError extends KybernetError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('CONFLICT', message, details, 'GATE_FAILED');
  }
}

export class InferenceError extends KybernetError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('INTERNAL_SERVER_ERROR', message, details, 'INFERENCE_FAILED');
  }
}

/** A stored artifact file does not hash to the SHA-256 recorded when it was written. */
export class ArtifactIntegrityError extends KybernetError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('INTERNAL_SERVER_ERROR', message, details, 'ARTIFACT_INTEGRITY');
  }
}
