import { GetObjectCommand, PutObjectCommand, S3Client, paginateListObjectsV2 } from '@aws-sdk/client-s3';
import { createArtifactStore } from '../../../src/storage/artifact-store';
import { S3ArtifactStore } from '../../../src/storage/s3';
import { describeArtifactStoreBehaviour } from './artifact-store-behaviour';
import { type RunningS3rver, S3RVER_CREDENTIALS, startS3rver } from '../../helpers/s3rver';

const REGION = 'us-east-1';
const CREDENTIAL_VARIABLES = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'] as const;

let server: RunningS3rver;
/** A plain client that reaches the bucket behind the store's back. */
let raw: S3Client;
const savedEnvironment: Partial<Record<string, string>> = {};

beforeAll(async () => {
  server = await startS3rver('kybernet-artifacts');
  // The store takes its credentials from the SDK's default chain, whose first link is the environment.
  for (const name of CREDENTIAL_VARIABLES) savedEnvironment[name] = process.env[name];
  process.env.AWS_ACCESS_KEY_ID = S3RVER_CREDENTIALS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = S3RVER_CREDENTIALS.secretAccessKey;
  raw = new S3Client({ endpoint: server.endpoint, region: REGION, forcePathStyle: true, credentials: S3RVER_CREDENTIALS });
});

afterAll(async () => {
  raw?.destroy();
  await server?.stop();
  for (const name of CREDENTIAL_VARIABLES) {
    if (savedEnvironment[name] === undefined) delete process.env[name];
    else process.env[name] = savedEnvironment[name];
  }
});

let opened = 0;
/** Each store gets its own folder of the one bucket, so every test starts empty. */
function openEmptyStore(): { store: S3ArtifactStore; prefix: string } {
  const prefix = `run-${++opened}`;
  const store = createArtifactStore({ kind: 's3', bucket: server.bucket, endpoint: server.endpoint, region: REGION, prefix });
  expect(store).toBeInstanceOf(S3ArtifactStore);
  return { store: store as S3ArtifactStore, prefix };
}

async function rawKeys(): Promise<string[]> {
  const keys: string[] = [];
  for await (const page of paginateListObjectsV2({ client: raw }, { Bucket: server.bucket })) {
    for (const object of page.Contents ?? []) keys.push(object.Key!);
  }
  return keys;
}

describe('S3ArtifactStore on s3rver', () => {
  describeArtifactStoreBehaviour(async () => {
    const { store, prefix } = openEmptyStore();
    return {
      store,
      async tamper(key, change) {
        const Key = `${prefix}/${key}`;
        const object = await raw.send(new GetObjectCommand({ Bucket: server.bucket, Key }));
        const stored = await object.Body!.transformToByteArray();
        await raw.send(new PutObjectCommand({ Bucket: server.bucket, Key, Body: change(stored) }));
      },
    };
  });

  describe('in the bucket', () => {
    it('keeps every key under its prefix folder and says so in its location', async () => {
      const { store, prefix } = openEmptyStore();
      await store.put('models/spy/v1/model.json', new TextEncoder().encode('{}'));
      expect(await rawKeys()).toContain(`${prefix}/models/spy/v1/model.json`);
      expect(store.location).toBe(`s3://${server.bucket}/${prefix}/`);
    });

    it('lists and deletes across many ListObjectsV2 pages', async () => {
      const prefix = `paged-${++opened}`;
      const store = new S3ArtifactStore({ bucket: server.bucket, endpoint: server.endpoint, region: REGION, prefix, pageSize: 2 });
      const keys = Array.from({ length: 7 }, (_, i) => `models/spy/v1/part-${i}.bin`);
      for (const key of keys) await store.put(key, Uint8Array.of(keys.indexOf(key)));
      await store.put('models/spy-other/v1/model.onnx', Uint8Array.of(9));

      await expect(store.list('models/spy')).resolves.toEqual(keys);
      await expect(store.deletePrefix('models/spy')).resolves.toBe(7);
      await expect(store.list('')).resolves.toEqual(['models/spy-other/v1/model.onnx']);
    });

    it('refuses a page size S3 would not honour', () => {
      for (const pageSize of [0, 1001, 2.5]) {
        expect(() => new S3ArtifactStore({ bucket: server.bucket, endpoint: server.endpoint, pageSize })).toThrow(
          `expects pageSize to be an integer from 1 to 1000, but got ${pageSize}`,
        );
      }
    });
  });
});
