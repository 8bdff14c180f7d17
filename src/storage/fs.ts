/**
 * The artifact store in a local directory (by default `$KYBERNET_DATA_DIR/artifacts`); a key's segments
 * are the folders and the file name under the root.
 *
 * A write goes to a hidden temp file in the target folder, is fsynced, renamed over the final name and
 * the folder fsynced, so a crash leaves either the old file or the new one under the final name —
 * at worst an orphaned hidden temp file, which `list` and `exists` never report.
 */
import { randomBytes } from 'node:crypto';
import type { Dirent, Stats } from 'node:fs';
import { mkdir, open, readFile, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { ConflictError } from '../lib/errors';
import type { ArtifactStore, StoredArtifact } from './artifact-store';
import { sha256Hex, validateSha256, verifySha256 } from './integrity';
import { validateKey, validateMove, validatePrefix } from './keys';
import { artifactNotFound } from './not-found';

export class FsArtifactStore implements ArtifactStore {
  readonly root: string;
  readonly location: string;

  constructor(root: string) {
    this.root = resolve(root);
    this.location = this.root;
  }

  async put(key: string, bytes: Uint8Array): Promise<StoredArtifact> {
    const path = this.pathOf(validateKey(key));
    const folder = dirname(path);
    await mkdir(folder, { recursive: true }).catch((error: unknown) => {
      throw this.folderConflict(error, key) ?? error;
    });
    const temp = join(folder, `.tmp-${randomBytes(8).toString('hex')}`);
    try {
      const file = await open(temp, 'wx');
      try {
        await file.writeFile(bytes);
        await file.sync();
      } finally {
        await file.close();
      }
      await rename(temp, path);
    } catch (error) {
      await rm(temp, { force: true });
      throw this.folderConflict(error, key) ?? error;
    }
    await syncFolder(folder);
    return { key, sha256: sha256Hex(bytes), size: bytes.byteLength };
  }

  async get(key: string, expectedSha256: string): Promise<Uint8Array> {
    const path = this.pathOf(validateKey(key));
    const expected = validateSha256(expectedSha256);
    let bytes: Uint8Array;
    try {
      bytes = await readFile(path);
    } catch (error) {
      if (isMissing(error)) throw artifactNotFound(key, this.location);
      throw error;
    }
    return verifySha256(bytes, expected, key, this.location);
  }

  async exists(key: string): Promise<boolean> {
    return (await statOrMissing(this.pathOf(validateKey(key))))?.isFile() ?? false;
  }

  async list(prefix: string): Promise<string[]> {
    const folder = validatePrefix(prefix, { allowEmpty: true });
    const keys: string[] = [];
    await this.collectKeys(folder, keys);
    return keys.sort();
  }

  async delete(key: string): Promise<void> {
    try {
      await unlink(this.pathOf(validateKey(key)));
    } catch (error) {
      if (!isMissing(error)) throw error;
    }
  }

  async deletePrefix(prefix: string): Promise<number> {
    const folder = validatePrefix(prefix, { allowEmpty: false });
    const keys = await this.list(folder);
    const path = this.pathOf(folder);
    if ((await statOrMissing(path))?.isDirectory()) await rm(path, { recursive: true, force: true });
    return keys.length;
  }

  async move(fromKey: string, toKey: string): Promise<void> {
    validateMove(fromKey, toKey);
    const from = this.pathOf(fromKey);
    const to = this.pathOf(toKey);
    if (!(await statOrMissing(from))?.isFile()) throw artifactNotFound(fromKey, this.location);
    await mkdir(dirname(to), { recursive: true }).catch((error: unknown) => {
      throw this.folderConflict(error, toKey) ?? error;
    });
    await rename(from, to).catch((error: unknown) => {
      throw this.folderConflict(error, toKey) ?? error;
    });
    await syncFolder(dirname(to));
    await syncFolder(dirname(from));
  }

  private pathOf(validKey: string): string {
    return join(this.root, ...validKey.split('/'));
  }

  /** Appends the keys of the files under `folder` (a key prefix, '' for the root), skipping hidden temp files. */
  private async collectKeys(folder: string, keys: string[]): Promise<void> {
    let entries: Dirent[];
    try {
      entries = await readdir(folder === '' ? this.root : this.pathOf(folder), { withFileTypes: true });
    } catch (error) {
      if (isMissing(error)) return;
      throw error;
    }
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      const key = folder === '' ? entry.name : `${folder}/${entry.name}`;
      if (entry.isDirectory()) await this.collectKeys(key, keys);
      else if (entry.isFile()) keys.push(key);
    }
  }

  /**
   * A directory cannot hold both a file `a/b` and a folder `a/b/`, as S3 can: writing one where the
   * other is stored fails with one of these codes, reported as a conflict between the two keys.
   */
  private folderConflict(error: unknown, key: string): ConflictError | undefined {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOTDIR' && code !== 'EEXIST' && code !== 'EISDIR' && code !== 'ENOTEMPTY') return undefined;
    return new ConflictError(
      `expects key "${key}" not to overlap a stored key in ${this.location}, but one of its folders is stored as a file ` +
        `or it names a folder of other keys; a directory store cannot hold both "a/b" and "a/b/c"`,
      { key },
    );
  }
}

/** ENOENT, or ENOTDIR/EISDIR when a path runs through or ends at something of the other kind: nothing stored there. */
function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR';
}

async function statOrMissing(path: string): Promise<Stats | undefined> {
  try {
    return await stat(path);
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
}

/** Makes a rename or a new entry in `folder` durable. */
async function syncFolder(folder: string): Promise<void> {
  const handle = await open(folder, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
