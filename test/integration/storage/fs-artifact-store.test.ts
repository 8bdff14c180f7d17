import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConflictError } from '../../../src/lib/errors';
import { createArtifactStore } from '../../../src/storage/artifact-store';
import { FsArtifactStore } from '../../../src/storage/fs';
import { describeArtifactStoreBehaviour } from './artifact-store-behaviour';

let scratch: string;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'kybernet-fs-store-'));
});

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

let opened = 0;
async function openEmptyStore(): Promise<{ store: FsArtifactStore; root: string }> {
  const root = join(scratch, `store-${++opened}`, 'artifacts');
  const store = createArtifactStore({ kind: 'fs', root });
  expect(store).toBeInstanceOf(FsArtifactStore);
  return { store: store as FsArtifactStore, root };
}

describe('FsArtifactStore', () => {
  describeArtifactStoreBehaviour(async () => {
    const { store, root } = await openEmptyStore();
    return {
      store,
      async tamper(key, change) {
        const path = join(root, ...key.split('/'));
        await writeFile(path, change(await readFile(path)));
      },
    };
  });

  describe('on disk', () => {
    it('keeps a key at its path under the root and leaves no temp file after writes', async () => {
      const { store, root } = await openEmptyStore();
      await store.put('models/spy/v1/model.json', new TextEncoder().encode('{"v":1}'));
      await store.put('models/spy/v1/model.json', new TextEncoder().encode('{"v":2}'));
      await expect(readFile(join(root, 'models', 'spy', 'v1', 'model.json'), 'utf8')).resolves.toBe('{"v":2}');
      await expect(readdir(join(root, 'models', 'spy', 'v1'))).resolves.toEqual(['model.json']);
      expect(store.location).toBe(root);
    });

    it('never reports the hidden temp file a crashed write leaves behind', async () => {
      const { store, root } = await openEmptyStore();
      await store.put('models/spy/v1/model.json', new TextEncoder().encode('{}'));
      // What a crash between write and rename leaves: a partial file under a hidden temp name.
      await writeFile(join(root, 'models', 'spy', 'v1', '.tmp-0123456789abcdef'), '{"partial');
      await expect(store.list('models/spy')).resolves.toEqual(['models/spy/v1/model.json']);
      await expect(store.list('')).resolves.toEqual(['models/spy/v1/model.json']);
    });

    it('writes nothing outside its root for a key that tries to escape it', async () => {
      const { store, root } = await openEmptyStore();
      await store.put('models/spy/v1/model.json', new TextEncoder().encode('{}'));
      await expect(store.put('../escaped.bin', new Uint8Array([1]))).rejects.toThrow('expects key to be a relative path');
      await expect(store.put('models/../../escaped.bin', new Uint8Array([1]))).rejects.toThrow("starts with '.'");
      await expect(readdir(join(root, '..'))).resolves.toEqual(['artifacts']);
      await expect(readdir(join(root, 'models'))).resolves.toEqual(['spy']);
    });

    it('refuses a key whose folder is a stored file, or that names a folder of other keys, as a conflict', async () => {
      const { store } = await openEmptyStore();
      await store.put('models/spy/v1/model.json', new TextEncoder().encode('{}'));
      await expect(store.put('models/spy/v1/model.json/extra', new Uint8Array([1]))).rejects.toBeInstanceOf(ConflictError);
      await expect(store.put('models/spy/v1', new Uint8Array([1]))).rejects.toBeInstanceOf(ConflictError);
      await expect(store.move('models/spy/v1/model.json', 'models/spy')).rejects.toBeInstanceOf(ConflictError);
      await expect(store.list('')).resolves.toEqual(['models/spy/v1/model.json']);
    });

    it('keeps every concurrent write of one key whole: the file matches one writer exactly', async () => {
      const { store } = await openEmptyStore();
      const bodies = Array.from({ length: 8 }, (_, writer) => new Uint8Array(64 * 1024).fill(writer));
      const written = await Promise.all(bodies.map((body) => store.put('datasets/d1/rows.bin', body)));
      const stored = await store.list('datasets/d1');
      expect(stored).toEqual(['datasets/d1/rows.bin']);
      const matches = await Promise.all(
        written.map((w) =>
          store.get('datasets/d1/rows.bin', w.sha256).then(
            () => true,
            () => false,
          ),
        ),
      );
      expect(matches.filter(Boolean)).toHaveLength(1);
    });
  });
});
