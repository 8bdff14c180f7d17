import { NotFoundError } from '../lib/errors';

/** The error every store throws, in the same words, when nothing is stored under `key`. */
export function artifactNotFound(key: string, location: string): NotFoundError {
  return new NotFoundError(`expects an artifact file at key "${key}" in ${location}, but none is stored there`, { key, location });
}
