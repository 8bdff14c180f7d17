/**
 * Writes prediction rows in one statement per batch (unnest of parallel arrays), whatever the batch
 * size, so a 10,000-row predictBatch is one round trip.
 */
import type { DataSource } from 'typeorm';
import type { PredictionRole } from '../entities/prediction.entity';

export interface PredictionRecord {
  id: string;
  registeredModelId: string;
  modelVersionId: string;
  role: PredictionRole;
  requestId: string;
  features: ArrayLike<number>;
  outputs: ArrayLike<number>;
  value: number | null;
  latencyMs: number;
}

function pgArrayLiteral(values: ArrayLike<number>): string {
  let text = '{';
  for (let i = 0; i < values.length; i++) text += (i ? ',' : '') + (Number.isNaN(values[i]) ? 'NaN' : String(values[i]));
  return text + '}';
}

/**
 * Inserts `records`; a record whose (version, request id) already exists is skipped. Returns the ids
 * inserted.
 */
export async function insertPredictions(dataSource: DataSource, records: PredictionRecord[]): Promise<Set<string>> {
  if (records.length === 0) return new Set();
  const inserted: { id: string }[] = await dataSource.query(
    `INSERT INTO predictions (id, registered_model_id, model_version_id, role, request_id, features, outputs, value, latency_ms)
     SELECT id, registered_model_id, model_version_id, role, request_id, features::real[], outputs::real[], value, latency_ms
     FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[], $8::float8[], $9::float4[])
       AS t(id, registered_model_id, model_version_id, role, request_id, features, outputs, value, latency_ms)
     ON CONFLICT (model_version_id, request_id) DO NOTHING
     RETURNING id`,
    [
      records.map((r) => r.id),
      records.map((r) => r.registeredModelId),
      records.map((r) => r.modelVersionId),
      records.map((r) => r.role),
      records.map((r) => r.requestId),
      records.map((r) => pgArrayLiteral(r.features)),
      records.map((r) => pgArrayLiteral(r.outputs)),
      records.map((r) => (r.value === null || Number.isNaN(r.value) ? null : r.value)),
      records.map((r) => r.latencyMs),
    ],
  );
  return new Set(inserted.map((row) => row.id));
}
