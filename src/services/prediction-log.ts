/**
 * Writes prediction rows in one statement per batch (unnest of parallel arrays), whatever the batch
 * size; the statements are prepared once per connection. `PredictionLog` group-commits the ACTIVE
 * answers of concurrent `predict` calls: the rows that arrive while a write is in flight are written
 * together by the next one, in one statement and so one transaction, and each call is answered once
 * its row has committed. A SHADOW row takes its features from the ACTIVE row of the same request
 * (they are the same row), so shadows cost neither the formatting nor the transfer of feature vectors.
 */
import type { DataSource } from 'typeorm';
import { pgErrorCode } from '../db/postgres-errors';
import { queryPrepared } from '../db/prepared-query';
import { InvalidInputError } from '../lib/errors';
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
  return new InvalidInputError(`expects a prediction the log can store, but the database refused it: ${(error as Error).message.slice(0, MAX_QUOTED_MESSAGE)}`, {
    field: 'requestId',
  });
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

/**
 * Inserts SHADOW predictions of requests that `activeVersionId` answered, with that answer's features,
 * committed without waiting for the disk: a database crash may lose the latest of them (fewer samples
 * for the shadow tester), never an answer the API gave.
 */
export async function insertShadowPredictions(dataSource: DataSource, activeVersionId: string, records: ShadowPredictionRecord[]): Promise<void> {
  if (records.length === 0) return;
  await queryPrepared(
    dataSource,
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
