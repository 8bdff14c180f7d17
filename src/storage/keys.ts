/**
 * The rules every artifact store applies to keys, so that a key accepted by one store is accepted by
 * all of them and can never reach outside the store's root (a directory, or a bucket prefix).
 *
 * A key is a relative path of '/'-separated segments, e.g. `models/{name}/v{version}/{file}` or
 * `datasets/{id}/{file}`. A segment may not be empty or start with '.', which rules out '.', '..' and
 * hidden names — the fs store keeps its in-flight temp files under hidden names.
 */
import { InvalidInputError } from '../lib/errors';

/** S3's limit on a whole key, in UTF-8 bytes. */
const MAX_KEY_BYTES = 1024;
/** The common file-name limit (NAME_MAX) on Linux and macOS, in bytes. */
const MAX_SEGMENT_BYTES = 255;
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;

const EXAMPLE = 'models/{name}/v{version}/{file}';

/** Returns `key` unchanged when it is a valid artifact key; otherwise throws InvalidInputError naming `field`. */
export function validateKey(key: string, field = 'key'): string {
  if (typeof key !== 'string' || key.length === 0) {
    throw new InvalidInputError(`expects ${field} to be a non-empty path such as ${EXAMPLE}, but got ${JSON.stringify(key)}`, {
      field,
    });
  }
  const refuse = (problem: string): never => {
    throw new InvalidInputError(`expects ${field} to be a relative path such as ${EXAMPLE}, but got ${JSON.stringify(key)} (${problem})`, {
      field,
    });
  };
  if (key.includes('\\')) refuse("it contains a backslash; separate segments with '/'");
  if (CONTROL_CHARACTER.test(key)) refuse('it contains a control character');
  if (key.startsWith('/')) refuse("it is absolute: it starts with '/'");
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) refuse(`it is longer than ${MAX_KEY_BYTES} bytes`);
  for (const segment of key.split('/')) {
    if (segment.length === 0) refuse("it has an empty segment: '//' or a trailing '/'");
    if (segment.startsWith('.')) refuse(`its segment ${JSON.stringify(segment)} starts with '.'`);
    if (Buffer.byteLength(segment, 'utf8') > MAX_SEGMENT_BYTES) refuse(`a segment is longer than ${MAX_SEGMENT_BYTES} bytes`);
  }
  return key;
}

/**
 * Validates a folder prefix such as `models/{name}/v{version}` (one trailing '/' is allowed) and returns
 * it without the trailing '/'. A prefix names whole segments: `models/a` covers `models/a/x`, never
 * `models/ab/x`. The empty prefix (the whole store) is allowed only where `allowEmpty` is set.
 */
export function validatePrefix(prefix: string, options: { allowEmpty: boolean; field?: string }): string {
  const field = options.field ?? 'prefix';
  if (prefix === '' && options.allowEmpty) return '';
  const folder = typeof prefix === 'string' && prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
  return validateKey(folder, field);
}

/** Validates both keys of a move and refuses a move of a key onto itself. */
export function validateMove(fromKey: string, toKey: string): void {
  validateKey(fromKey, 'fromKey');
  validateKey(toKey, 'toKey');
  if (fromKey === toKey) {
    throw new InvalidInputError(`expects toKey to differ from fromKey, but both are ${JSON.stringify(fromKey)}`, { field: 'toKey' });
  }
}
