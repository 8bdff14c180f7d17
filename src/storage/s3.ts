/**
 * The artifact store in an S3 bucket, or on an S3-compatible server when an endpoint is given (then
 * addressed path-style, as MinIO, Ceph and s3rver expect). Credentials come from the SDK's default
 * chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, profile, instance role).
 *
 * A PutObject is all-or-nothing on S3, so no temp object is needed; the SHA-256 check on every read
 * is ours, whatever checksums the server does or does not support.
 */
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  paginateListObjectsV2,
} from '@aws-sdk/client-s3';
import { InvalidInputError } from '../lib/errors';
import type { ArtifactStore, StoredArtifact } from './artifact-store';
import { sha256Hex, validateSha256, verifySha256 } from './integrity';
import { validateKey, validateMove, validatePrefix } from './keys';
import { artifactNotFound } from './not-found';

export interface S3ArtifactStoreOptions {
  bucket: string;
  endpoint?: string;
  region?: string;
  /** A folder of the bucket that holds every key of this store, e.g. `kybernet` or `kybernet/`. */
  prefix?: string;
  /** Keys per ListObjectsV2 page (and so per DeleteObjects call); S3's maximum, 1000, by default. */
  pageSize?: number;
}

const MAX_PAGE_SIZE = 1000;

export class S3ArtifactStore implements ArtifactStore {
  readonly bucket: string;
  readonly location: string;
  private readonly client: S3Client;
  /** '' or the store's folder in the bucket with a trailing '/'. */
  private readonly root: string;
  private readonly pageSize: number;

  constructor(options: S3ArtifactStoreOptions) {
    if (typeof options.bucket !== 'string' || options.bucket.length === 0) {
      throw new InvalidInputError(`expects bucket to name an S3 bucket, but got ${JSON.stringify(options.bucket)}`, {
        field: 'bucket',
      });
    }
    const pageSize = options.pageSize ?? MAX_PAGE_SIZE;
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
      throw new InvalidInputError(`expects pageSize to be an integer from 1 to ${MAX_PAGE_SIZE}, but got ${pageSize}`, {
        field: 'pageSize',
      });
    }
    const folder = options.prefix ? validatePrefix(options.prefix, { allowEmpty: false }) : '';
    this.bucket = options.bucket;
    this.root = folder === '' ? '' : `${folder}/`;
    this.pageSize = pageSize;
    this.location = `s3://${this.bucket}/${this.root}`;
    this.client = new S3Client({
      endpoint: options.endpoint,
      region: options.region,
      forcePathStyle: options.endpoint !== undefined,
    });
  }

  async put(key: string, bytes: Uint8Array): Promise<StoredArtifact> {
    validateKey(key);
    await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key), Body: bytes }));
    return { key, sha256: sha256Hex(bytes), size: bytes.byteLength };
  }

  async get(key: string, expectedSha256: string): Promise<Uint8Array> {
    validateKey(key);
    const expected = validateSha256(expectedSha256);
    let bytes: Uint8Array;
    try {
      const object = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }));
      if (object.Body === undefined) throw new Error(`S3 GetObject for ${this.location}${key} answered without a body`);
      bytes = await object.Body.transformToByteArray();
    } catch (error) {
      if (isMissingObject(error)) throw artifactNotFound(key, this.location);
      throw error;
    }
    return verifySha256(bytes, expected, key, this.location);
  }

  async exists(key: string): Promise<boolean> {
    validateKey(key);
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }));
      return true;
    } catch (error) {
      if (isMissingObject(error)) return false;
      throw error;
    }
  }

  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    for await (const page of this.pages(validatePrefix(prefix, { allowEmpty: true }))) {
      // A key ending in '/' is a folder marker some S3 consoles create, not an artifact.
      for (const objectKey of page) if (!objectKey.endsWith('/')) keys.push(objectKey.slice(this.root.length));
    }
    return keys.sort();
  }

  async delete(key: string): Promise<void> {
    validateKey(key);
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }));
  }

  async deletePrefix(prefix: string): Promise<number> {
    let deleted = 0;
    // A continuation token marks the last key listed, so deleting each page before asking for the next is safe.
    for await (const page of this.pages(validatePrefix(prefix, { allowEmpty: false }))) {
      if (page.length === 0) continue;
      const result = await this.client.send(
        new DeleteObjectsCommand({
          Bucket: this.bucket,
          Delete: { Objects: page.map((Key) => ({ Key })), Quiet: true },
        }),
      );
      const failure = result.Errors?.[0];
      if (failure) {
        throw new Error(
          `S3 refused to delete ${result.Errors!.length} of ${page.length} objects under ${this.location}${prefix}, ` +
            `first "${failure.Key}": ${failure.Code} ${failure.Message}`,
        );
      }
      deleted += page.length;
    }
    return deleted;
  }

  async move(fromKey: string, toKey: string): Promise<void> {
    validateMove(fromKey, toKey);
    const source = this.objectKey(fromKey);
    try {
      await this.client.send(
        new CopyObjectCommand({
          Bucket: this.bucket,
          Key: this.objectKey(toKey),
          CopySource: `${this.bucket}/${source.split('/').map(encodeURIComponent).join('/')}`,
        }),
      );
    } catch (error) {
      if (isMissingObject(error)) throw artifactNotFound(fromKey, this.location);
      throw error;
    }
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: source }));
  }

  private objectKey(validKey: string): string {
    return this.root + validKey;
  }

  /** The object keys under the folder `folder` of this store ('' for all of it), one ListObjectsV2 page at a time. */
  private async *pages(folder: string): AsyncGenerator<string[]> {
    const Prefix = folder === '' ? this.root : `${this.root}${folder}/`;
    const paginator = paginateListObjectsV2({ client: this.client, pageSize: this.pageSize }, { Bucket: this.bucket, Prefix });
    for await (const page of paginator) {
      yield (page.Contents ?? []).flatMap((object) => (object.Key === undefined ? [] : [object.Key]));
    }
  }
}

/** NoSuchKey from GetObject/CopyObject; HeadObject has no body, so its 404 arrives as NotFound. */
function isMissingObject(error: unknown): boolean {
  return error instanceof S3ServiceException && (error.name === 'NoSuchKey' || error.name === 'NotFound');
}
