/**
 * The behaviour every ArtifactStore shares, run against each real store (fs in a temp directory, S3 on
 * s3rver). Each test gets an empty store from `open`.
 */
import { createHash } from 'node:crypto';
import { ArtifactIntegrityError, InvalidInputError, KybernetError, NotFoundError } from '../../../src/lib/errors';
import type { ArtifactStore } from '../../../src/storage/artifact-store';

export interface StoreUnderTest {
  store: ArtifactStore;
  /** Replaces the stored bytes of `key` behind the store's back (directly in the file or the bucket). */
  tamper(key: string, change: (stored: Uint8Array) => Uint8Array): Promise<void>;
}

// Published SHA-256 test vectors (FIPS 180-2): "abc" and the empty message.
const ABC = new TextEncoder().encode('abc');
const ABC_SHA256 = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

const MODEL_KEY = 'models/spy-direction/v3/model.onnx';
const UNSAFE_KEYS = [
  '../escape.bin',
  'models/../../escape.bin',
  'models/a/../../../escape.bin',
  '/etc/passwd',
  'models\\a\\model.onnx',
  '..\\escape.bin',
  'models//a/model.onnx',
  'models/a/',
  'models/./a/model.onnx',
  '.',
  '',
  'models/a\u0000b',
];

function allByteValues(): Uint8Array {
  return Uint8Array.from({ length: 512 }, (_, i) => i % 256);
}

function flipFirstByte(stored: Uint8Array): Uint8Array {
  const changed = Uint8Array.from(stored);
  changed[0] ^= 0xff;
  return changed;
}

async function caught(action: () => Promise<unknown>): Promise<KybernetError> {
  try {
    await action();
  } catch (error) {
    if (error instanceof KybernetError) return error;
    throw error;
  }
  throw new Error('expected the call to throw a KybernetError, but it succeeded');
}

export function describeArtifactStoreBehaviour(open: () => Promise<StoreUnderTest>): void {
  let store: ArtifactStore;
  let tamper: StoreUnderTest['tamper'];

  beforeEach(async () => {
    ({ store, tamper } = await open());
  });

  describe('put and get', () => {
    it('returns the SHA-256 and size of what it wrote, and reads the same bytes back', async () => {
      await expect(store.put(MODEL_KEY, ABC)).resolves.toEqual({ key: MODEL_KEY, sha256: ABC_SHA256, size: 3 });
      expect(Buffer.from(await store.get(MODEL_KEY, ABC_SHA256)).toString()).toBe('abc');
    });

    it('round-trips every byte value and an empty file', async () => {
      const bytes = allByteValues();
      const written = await store.put('datasets/7f3a/features.bin', bytes);
      expect(written.size).toBe(512);
      expect(Array.from(await store.get('datasets/7f3a/features.bin', written.sha256))).toEqual(Array.from(bytes));

      await expect(store.put('datasets/7f3a/empty.csv', new Uint8Array())).resolves.toEqual({
        key: 'datasets/7f3a/empty.csv',
        sha256: EMPTY_SHA256,
        size: 0,
      });
      expect((await store.get('datasets/7f3a/empty.csv', EMPTY_SHA256)).byteLength).toBe(0);
    });

    it('writes exactly the bytes of a view into a larger buffer', async () => {
      const view = Buffer.from(allByteValues()).subarray(100, 200);
      const sha256 = createHash('sha256').update(view).digest('hex');
      await expect(store.put(MODEL_KEY, view)).resolves.toEqual({ key: MODEL_KEY, sha256, size: 100 });
      expect(Array.from(await store.get(MODEL_KEY, sha256))).toEqual(Array.from(view));
    });

    it('accepts the expected SHA-256 in upper case', async () => {
      await store.put(MODEL_KEY, ABC);
      expect((await store.get(MODEL_KEY, ABC_SHA256.toUpperCase())).byteLength).toBe(3);
    });

    it('replaces the file on a second put, after which only the new SHA-256 reads', async () => {
      const first = await store.put(MODEL_KEY, ABC);
      const second = await store.put(MODEL_KEY, allByteValues());
      expect(second.sha256).not.toBe(first.sha256);
      expect((await store.get(MODEL_KEY, second.sha256)).byteLength).toBe(512);
      await expect(store.get(MODEL_KEY, first.sha256)).rejects.toBeInstanceOf(ArtifactIntegrityError);
    });
  });

  describe('integrity', () => {
    it('refuses a file with one flipped byte, naming the file and both hashes', async () => {
      const { sha256 } = await store.put(MODEL_KEY, allByteValues());
      await tamper(MODEL_KEY, flipFirstByte);

      const error = await caught(() => store.get(MODEL_KEY, sha256));
      expect(error).toBeInstanceOf(ArtifactIntegrityError);
      const flipped = flipFirstByte(allByteValues());
      const actualSha256 = createHash('sha256').update(flipped).digest('hex');
      expect(error.message).toContain(MODEL_KEY);
      expect(error.message).toContain(sha256);
      expect(error.message).toContain(actualSha256);
      expect(error.message).toContain(store.location);
      expect(error.details).toMatchObject({ key: MODEL_KEY, expectedSha256: sha256, actualSha256, size: 512 });
      expect(error.reason).toBe('ARTIFACT_INTEGRITY');
    });

    it('refuses a truncated file', async () => {
      const { sha256 } = await store.put(MODEL_KEY, allByteValues());
      await tamper(MODEL_KEY, (stored) => stored.subarray(0, 511));
      await expect(store.get(MODEL_KEY, sha256)).rejects.toBeInstanceOf(ArtifactIntegrityError);
    });

    it('refuses an expected SHA-256 that is not 64 hex digits before reading', async () => {
      await store.put(MODEL_KEY, ABC);
      for (const bad of ['', 'abc', `${ABC_SHA256}0`, ABC_SHA256.replace('b', 'g')]) {
        const error = await caught(() => store.get(MODEL_KEY, bad));
        expect(error).toBeInstanceOf(InvalidInputError);
        expect(error.details).toEqual({ field: 'expectedSha256' });
        expect(error.message).toContain('expects expectedSha256 to be a SHA-256 of 64 hex digits');
      }
    });
  });

  describe('missing keys', () => {
    it('answers NotFoundError naming the key on get, and false on exists', async () => {
      const error = await caught(() => store.get(MODEL_KEY, ABC_SHA256));
      expect(error).toBeInstanceOf(NotFoundError);
      expect(error.code).toBe('NOT_FOUND');
      expect(error.message).toContain(MODEL_KEY);
      await expect(store.exists(MODEL_KEY)).resolves.toBe(false);
      await store.put(MODEL_KEY, ABC);
      await expect(store.exists(MODEL_KEY)).resolves.toBe(true);
    });

    it('does not treat a folder as a stored file', async () => {
      await store.put(MODEL_KEY, ABC);
      await expect(store.exists('models/spy-direction/v3')).resolves.toBe(false);
      await expect(store.get('models/spy-direction/v3', ABC_SHA256)).rejects.toBeInstanceOf(NotFoundError);
    });

    it('deletes a key, and deleting a key that is not there is no error', async () => {
      await store.put(MODEL_KEY, ABC);
      await store.delete(MODEL_KEY);
      await expect(store.exists(MODEL_KEY)).resolves.toBe(false);
      await expect(store.delete(MODEL_KEY)).resolves.toBeUndefined();
    });
  });

  describe('unsafe keys', () => {
    it.each(UNSAFE_KEYS)('refuses %j on every operation with InvalidInputError', async (key) => {
      const refusals: Array<[() => Promise<unknown>, string]> = [
        [() => store.put(key, ABC), 'key'],
        [() => store.get(key, ABC_SHA256), 'key'],
        [() => store.exists(key), 'key'],
        [() => store.delete(key), 'key'],
        [() => store.move(key, 'archive/x.bin'), 'fromKey'],
        [() => store.move('models/x.bin', key), 'toKey'],
      ];
      for (const [action, field] of refusals) {
        const error = await caught(action);
        expect(error).toBeInstanceOf(InvalidInputError);
        expect(error.code).toBe('BAD_USER_INPUT');
        expect(error.details).toEqual({ field });
        expect(error.message).toContain(`expects ${field} to be`);
      }
      expect(await store.list('')).toEqual([]);
    });

    it('refuses unsafe prefixes, and deletePrefix of the whole store', async () => {
      for (const prefix of ['../', '/models', 'models\\a', 'models//a', '..']) {
        await expect(store.list(prefix)).rejects.toBeInstanceOf(InvalidInputError);
        await expect(store.deletePrefix(prefix)).rejects.toBeInstanceOf(InvalidInputError);
      }
      await store.put(MODEL_KEY, ABC);
      await expect(store.deletePrefix('')).rejects.toBeInstanceOf(InvalidInputError);
      await expect(store.deletePrefix('/')).rejects.toBeInstanceOf(InvalidInputError);
      await expect(store.exists(MODEL_KEY)).resolves.toBe(true);
    });
  });

  describe('list and deletePrefix', () => {
    const keys = [
      'models/a/v1/model.json',
      'models/a/v1/model.onnx',
      'models/a/v2/model.onnx',
      'models/ab/v1/model.onnx',
      'datasets/d1/rows.csv',
    ];

    beforeEach(async () => {
      for (const key of keys) await store.put(key, new TextEncoder().encode(key));
    });

    it('lists the keys under a folder, sorted, never a sibling that shares its first letters', async () => {
      await expect(store.list('models/a')).resolves.toEqual(['models/a/v1/model.json', 'models/a/v1/model.onnx', 'models/a/v2/model.onnx']);
      await expect(store.list('models/a/')).resolves.toEqual(await store.list('models/a'));
      await expect(store.list('models/a/v1/model.json')).resolves.toEqual([]);
      await expect(store.list('models/zzz')).resolves.toEqual([]);
      await expect(store.list('')).resolves.toEqual([...keys].sort());
    });

    it('deletes every key under a folder and only those, returning how many', async () => {
      await expect(store.deletePrefix('models/a')).resolves.toBe(3);
      await expect(store.list('')).resolves.toEqual(['datasets/d1/rows.csv', 'models/ab/v1/model.onnx']);
      await expect(store.deletePrefix('models/a/')).resolves.toBe(0);
    });

    it('does not delete a file named by the prefix itself', async () => {
      await expect(store.deletePrefix('datasets/d1/rows.csv')).resolves.toBe(0);
      await expect(store.exists('datasets/d1/rows.csv')).resolves.toBe(true);
    });
  });

  describe('move', () => {
    it('moves a file to the archive prefix with its bytes and SHA-256 unchanged', async () => {
      const { sha256 } = await store.put(MODEL_KEY, allByteValues());
      const archived = `archive/${MODEL_KEY}`;
      await store.move(MODEL_KEY, archived);
      expect(Array.from(await store.get(archived, sha256))).toEqual(Array.from(allByteValues()));
      await expect(store.exists(MODEL_KEY)).resolves.toBe(false);
      await expect(store.list('')).resolves.toEqual([archived]);
    });

    it('replaces what was stored at the destination', async () => {
      const { sha256 } = await store.put(MODEL_KEY, ABC);
      await store.put('archive/model.onnx', allByteValues());
      await store.move(MODEL_KEY, 'archive/model.onnx');
      expect(Buffer.from(await store.get('archive/model.onnx', sha256)).toString()).toBe('abc');
    });

    it('answers NotFoundError naming the source when it is missing, and refuses a move onto itself', async () => {
      const error = await caught(() => store.move(MODEL_KEY, `archive/${MODEL_KEY}`));
      expect(error).toBeInstanceOf(NotFoundError);
      expect(error.message).toContain(MODEL_KEY);

      await store.put(MODEL_KEY, ABC);
      const self = await caught(() => store.move(MODEL_KEY, MODEL_KEY));
      expect(self).toBeInstanceOf(InvalidInputError);
      expect(self.details).toEqual({ field: 'toKey' });
      await expect(store.exists(MODEL_KEY)).resolves.toBe(true);
    });
  });
}
