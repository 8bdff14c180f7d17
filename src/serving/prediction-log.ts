/**
 * Writes prediction rows. A block of one batch call (`predictBatch`, and `forecastBatch` to come: any
 * number of rows with feature vectors or flattened input windows of one width) travels by binary COPY
 * (db/binary-copy.ts), atomically: all its rows or, on a taken request id, none. Smaller sets go in
 * one statement each (unnest of parallel arrays), prepared once per connection. `PredictionLog`
 * group-commits the ACTIVE
 * answers of concurrent `predict` calls: the rows that arrive while a write is in flight are written
 * together by the next one, in one statement and so one transaction, and each call is answered once
 * its row has committed. A SHADOW row takes its features from the ACTIVE row of the same request
 * (they are the same row), so shadows cost neither the formatting nor the transfer of feature vectors.
 */
import type { PoolClient } from 'pg';
import type { DataSource } from 'typeorm';
import { copyInto, CopyEncoder, float4ArrayFieldBytes } from '../db/binary-copy';
import { PG_UNIQUE_VIOLATION, pgErrorCode } from '../db/postgres-errors';
import { queryPrepared, type QuerySession } from '../db/prepared-query';
import { ConflictError, InvalidInputError, quote } from '../lib/errors';
import { MicroBatcher } from '../lib/micro-batcher';

/** A SHADOW version's prediction of a request the ACTIVE version answered. */
export interface ShadowPredictionRecord {
  id: string;
  registeredModelId: string;
  modelVersionId: string;
  requestId: string;
  outputs: ArrayLike<number>;
  value: number | null;
  latencyMs: number;
}

/** The ACTIVE version's prediction: the answer, with the features it was given. */
export interface ActivePredictionRecord extends ShadowPredictionRecord {
  features: ArrayLike<number>;
}

/**
 * The predictions of one batch call by one version, column by column: row r has id `ids[r]` (its 16
 * bytes at 16·r of `idBytes`), request id `requestIds[r]`, inputs `features[r·featureWidth …]`
 * and outputs `outputs[r·outputWidth …]` (the first is the row's value; NaN = could not be scored).
 */
export interface PredictionBlock {
  registeredModelId: string;
  modelVersionId: string;
  role: 'ACTIVE' | 'SHADOW';
  rows: number;
  idBytes: Uint8Array;
  requestIds: readonly string[];
  features: Float32Array;
  featureWidth: number;
  outputs: Float32Array;
  outputWidth: number;
  latencyMs: number;
}

function pgArrayLiteral(values: ArrayLike<number>): string {
  let text = '{';
  for (let i = 0; i < values.length; i++) text += (i ? ',' : '') + (Number.isNaN(values[i]) ? 'NaN' : String(values[i]));
  return text + '}';
}

const finiteOrNull = (value: number | null) => (value === null || Number.isNaN(value) ? null : value);

/** Longest part of the database's own message quoted in a refusal (it may quote the input). */
const MAX_QUOTED_MESSAGE = 200;

/**
 * A row the database refuses for what it holds — a data exception (SQLSTATE class 22) or a value
 * beyond a limit such as the index row size (54000) — is the request's fault: BAD_USER_INPUT.
 */
function refusedRow(error: unknown): unknown {
  const code = pgErrorCode(error);
  if (!code || !(code.startsWith('22') || code === '54000')) return error;
  return new InvalidInputError(
    `expects a prediction the log can store, but the database refused it: ${(error as Error).message.slice(0, MAX_QUOTED_MESSAGE)}`,
    {
      field: 'requestId',
    },
  );
}

/**
 * Inserts ACTIVE predictions; a record whose (version, request id) already exists is skipped. Returns
 * the ids inserted. Throws BAD_USER_INPUT when the database refuses a row for its contents (all or
 * nothing: the statement writes no row then).
 */
export async function insertPredictions(dataSource: DataSource, records: ActivePredictionRecord[]): Promise<Set<string>> {
  if (records.length === 0) return new Set();
  const inserted = await queryPrepared<{ id: string }>(
    dataSource,
    'kybernet_insert_predictions',
    `INSERT INTO predictions (id, registered_model_id, model_version_id, role, request_id, features, outputs, value, latency_ms)
     SELECT id, registered_model_id, model_version_id, 'ACTIVE', request_id, features::real[], outputs::real[], value, latency_ms
     FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::float8[], $8::float4[])
       AS t(id, registered_model_id, model_version_id, request_id, features, outputs, value, latency_ms)
     ON CONFLICT (model_version_id, request_id) DO NOTHING
     RETURNING id`,
    [
      records.map((r) => r.id),
      records.map((r) => r.registeredModelId),
      records.map((r) => r.modelVersionId),
      records.map((r) => r.requestId),
      records.map((r) => pgArrayLiteral(r.features)),
      records.map((r) => pgArrayLiteral(r.outputs)),
      records.map((r) => finiteOrNull(r.value)),
      records.map((r) => r.latencyMs),
    ],
  ).catch((error: unknown) => {
    throw refusedRow(error);
  });
  return new Set(inserted.map((row) => row.id));
}

const COPY_PREDICTIONS = `COPY predictions (id, registered_model_id, model_version_id, role, request_id, features, outputs, value, latency_ms) FROM STDIN (FORMAT binary)`;
const PREDICTION_FIELDS = 9;

const uuidBytes = (id: string) => Buffer.from(id.replace(/-/g, ''), 'hex');

/** Appends the rows of `block` to `copy`. */
function encodeBlock(copy: CopyEncoder, block: PredictionBlock): void {
  const { rows, featureWidth, outputWidth } = block;
  const modelId = uuidBytes(block.registeredModelId);
  const versionId = uuidBytes(block.modelVersionId);
  for (let r = 0; r < rows; r++) {
    const value = block.outputs[r * outputWidth];
    copy
      .tuple(PREDICTION_FIELDS)
      .uuid(block.idBytes, 16 * r)
      .uuid(modelId)
      .uuid(versionId)
      .text(block.role)
      .text(block.requestIds[r])
      .float4Array(block.features, r * featureWidth, (r + 1) * featureWidth)
      .float4Array(block.outputs, r * outputWidth, (r + 1) * outputWidth);
    if (Number.isNaN(value)) copy.null();
    else copy.float8(value);
    copy.float4(block.latencyMs);
  }
}

/** Bytes `block` takes in the stream, about (request ids counted as one byte a character). */
function blockBytes(block: PredictionBlock): number {
  const rowBytes =
    2 + 3 * 20 + 4 + block.role.length + 4 + float4ArrayFieldBytes(block.featureWidth) + float4ArrayFieldBytes(block.outputWidth) + 12 + 8;
  return block.rows * rowBytes + block.requestIds.reduce((sum, requestId) => sum + requestId.length, 0);
}

/**
 * Writes every row of `blocks` (produced while the first are being written: one batch call scored in
 * parts) in one COPY, or none: when the version already has a prediction with one of their request
 * ids, CONFLICT naming it; BAD_USER_INPUT when the database refuses a row's contents; when producing a
 * block throws, that error.
 */
export async function copyPredictions(dataSource: DataSource, blocks: AsyncIterable<PredictionBlock>): Promise<void> {
  const sent: PredictionBlock[] = [];
  async function* stream(): AsyncGenerator<Buffer> {
    const copy = new CopyEncoder();
    for await (const block of blocks) {
      sent.push(block);
      encodeBlock(copy, block);
      yield copy.take(blockBytes(block));
    }
    yield copy.finish();
  }
  const runner = dataSource.createQueryRunner();
  try {
    await copyInto((await runner.connect()) as PoolClient, COPY_PREDICTIONS, stream());
  } catch (error) {
    if (pgErrorCode(error) !== PG_UNIQUE_VIOLATION) throw refusedRow(error);
    const [taken]: { request_id: string }[] = await dataSource.query(
      `SELECT request_id FROM predictions WHERE model_version_id = $1 AND request_id = ANY ($2::text[]) LIMIT 1`,
      [sent[0].modelVersionId, sent.flatMap((block) => block.requestIds)],
    );
    throw new ConflictError(
      `expects request ids this version has not answered, but it has a prediction with requestId ${quote(taken?.request_id ?? sent[0].requestIds[0])} already; nothing of the batch was written, so send it again with a new requestId`,
      { field: 'requestId' },
    );
  } finally {
    await runner.release();
  }
}

/**
 * Inserts SHADOW predictions of requests that `activeVersionId` answered, with that answer's features,
 * committed without waiting for the disk: a database crash may lose the latest of them (fewer samples
 * for the shadow tester), never an answer the API gave. A record whose (version, request id) exists
 * is skipped, so scoring a request again writes nothing. On a held connection (`session`), inside the
 * caller's transaction.
 */
export async function insertShadowPredictions(
  session: QuerySession,
  activeVersionId: string,
  records: ShadowPredictionRecord[],
): Promise<void> {
  if (records.length === 0) return;
  await queryPrepared(
    session,
    'kybernet_insert_shadow_predictions',
    `INSERT INTO predictions (id, registered_model_id, model_version_id, role, request_id, features, outputs, value, latency_ms)
     SELECT t.id, t.registered_model_id, t.model_version_id, 'SHADOW', t.request_id, a.features, t.outputs::real[], t.value, t.latency_ms
     FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::float8[], $7::float4[])
       AS t(id, registered_model_id, model_version_id, request_id, outputs, value, latency_ms)
     JOIN predictions a ON a.model_version_id = $8 AND a.request_id = t.request_id
     ON CONFLICT (model_version_id, request_id) DO NOTHING`,
    [
      records.map((r) => r.id),
      records.map((r) => r.registeredModelId),
      records.map((r) => r.modelVersionId),
      records.map((r) => r.requestId),
      records.map((r) => pgArrayLiteral(r.outputs)),
      records.map((r) => finiteOrNull(r.value)),
      records.map((r) => r.latencyMs),
      activeVersionId,
    ],
    // Shadow rows answer no one: they need not hold up the ACTIVE answers' commits.
    { synchronousCommit: false },
  );
}

/** Most rows one group commit writes; more wait for the next. */
const GROUP_MAX_ROWS = 2048;

/**
 * The group commit of ACTIVE predictions. One write is in flight at a time; whatever arrives
 * meanwhile is written by the next, so under load each commit carries many rows while an idle log
 * writes a row at once. A group the database refuses is written again row by row (MicroBatcher), so
 * one row's refusal is that row's alone.
 */
/** How an appended record fared: written, or not (its request id was taken); and the rows of its commit. */
export interface AppendedRecord {
  written: boolean;
  groupRows: number;
}

export class PredictionLog {
  private readonly group: MicroBatcher<ActivePredictionRecord, AppendedRecord>;

  constructor(dataSource: DataSource) {
    this.group = new MicroBatcher(
      async (records) => {
        const inserted = await insertPredictions(dataSource, records);
        return records.map((record) => ({ written: inserted.has(record.id), groupRows: records.length }));
      },
      { maxItems: GROUP_MAX_ROWS, windowMs: 0 },
    );
  }

  /**
   * Resolves once `record` has committed, or is not written because the version has a prediction with
   * its request id already. BAD_USER_INPUT when the database refuses the row itself.
   */
  append(record: ActivePredictionRecord): Promise<AppendedRecord> {
    return this.group.submit(record);
  }
}
