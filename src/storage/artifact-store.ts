/**
 * Where model artifact files and dataset files live: a directory (fs, the default) or an S3 bucket.
 * The registry and datasets services depend on this interface only, never on a store's internals.
 *
 * Keys are relative paths, `models/{name}/v{version}/{file}` and `datasets/{id}/{file}` (rules in
 * keys.ts); a key that could leave the store's root is refused with InvalidInputError. Every write
 * returns the SHA-256 of what was written, and every read is checked against the SHA-256 the caller
 * recorded, so a changed or damaged file is never loaded.
 */
import { FsArtifactStore } from './fs';
import { S3ArtifactStore } from './s3';

/** What a write stored: the caller records `sha256` and `size` with the key. */
export interface StoredArtifact {
  key: string;
  /** Lower-case hex SHA-256 of the bytes written. */
  sha256: string;
  /** Bytes written. */
  size: number;
}

export interface ArtifactStore {
  /** Where the store keeps its files, for messages: a directory path or `s3://bucket/prefix`. */
  readonly location: string;
  /**
   * Writes `bytes` under `key`, replacing what was there. The write is all-or-nothing: a reader (or a
   * restart after a crash) sees the old file or the new one, never part of one.
   */
  put(key: string, bytes: Uint8Array): Promise<StoredArtifact>;
  /**
   * Reads `key` and checks it against `expectedSha256` (as returned by `put`). Throws NotFoundError
   * naming the key when nothing is stored there, and ArtifactIntegrityError naming the key and both
   * hashes when the stored bytes do not match.
   */
  get(key: string, expectedSha256: string): Promise<Uint8Array>;
  exists(key: string): Promise<boolean>;
  /**
   * Every key under the folder `prefix` (`models/a` covers `models/a/…`, not `models/ab/…`), sorted.
   * The empty prefix lists the whole store.
   */
  list(prefix: string): Promise<string[]>;
  /** Removes `key`; removing a key that is not there is not an error. */
  delete(key: string): Promise<void>;
  /** Removes every key under the folder `prefix` (never the whole store) and returns how many there were. */
  deletePrefix(prefix: string): Promise<number>;
  /**
   * Moves the file at `fromKey` to `toKey` (e.g. into the archive prefix), replacing what was at
   * `toKey`; its bytes and so its SHA-256 are unchanged. Throws NotFoundError when `fromKey` is missing.
   */
  move(fromKey: string, toKey: string): Promise<void>;
}

export type ArtifactStoreConfig =
  | { kind: 'fs'; root: string }
  /**
   * `endpoint` selects an S3-compatible server (addressed path-style); `region` defaults to the SDK's
   * chain (AWS_REGION, profile); `prefix` keeps every key under that folder of the bucket.
   * Credentials always come from the SDK's default chain.
   */
  | { kind: 's3'; bucket: string; endpoint?: string; region?: string; prefix?: string };

export function createArtifactStore(config: ArtifactStoreConfig): ArtifactStore {
  switch (config.kind) {
    case 'fs':
      return new FsArtifactStore(config.root);
    case 's3':
      return new S3ArtifactStore(config);
  }
}
