/**
 * Datasets: immutable typed tables stored as hashed artifacts (`datasets/{id}/table.json.gz`).
 * Every model version names the dataset it was trained on, so any version can be audited or retrained.
 */
import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { DatasetEntity } from '../entities/dataset.entity';
import { deserializeTable, serializeTable, tableFromCsv, tableFromRows, type ColumnSpec, type DatasetTable } from '../lib/dataset-table';
import { ConflictError, InvalidInputError, NotFoundError, quote } from '../lib/errors';
import { isUuid } from '../lib/ids';
import type { ArtifactStore } from '../storage/artifact-store';
import { PG_UNIQUE_VIOLATION, pgErrorCode } from '../db/postgres-errors';

export interface CreateDatasetRequest {
  name: string;
  description?: string;
  rows?: unknown;
  csv?: string;
  columns?: ColumnSpec[];
}

const MAX_CSV_BYTES = 64 * 1024 * 1024;
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

export function checkDatasetName(name: string): void {
  if (!NAME_PATTERN.test(name)) {
    throw new InvalidInputError(`expects a dataset name of letters, digits, _ . - (up to 128), but got ${quote(name)}`, { field: 'name' });
  }
}

export class DatasetsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly store: ArtifactStore,
  ) {}

  async createDataset(request: CreateDatasetRequest): Promise<DatasetEntity> {
    checkDatasetName(request.name);
    // null (a GraphQL client's explicit "none") counts as absent, as undefined does.
    const { rows, csv } = request;
    if ((rows == null) === (csv == null)) {
      throw new InvalidInputError('expects exactly one of rows or csv', { field: 'rows' });
    }
    if (csv != null && Buffer.byteLength(csv) > MAX_CSV_BYTES) {
      throw new InvalidInputError(`expects CSV text of at most ${MAX_CSV_BYTES} bytes`, { field: 'csv' });
    }
    const table = csv != null ? tableFromCsv(csv, request.columns) : tableFromRows(rows, request.columns);
    return this.saveTable({ name: request.name, description: request.description, source: csv != null ? 'CSV' : 'ROWS', table });
  }

  /** Stores `table` and records it; the name must be new. Used by materialized datasets too. */
  async saveTable(input: {
    name: string;
    description?: string;
    source: string;
    table: DatasetTable;
    spec?: Record<string, unknown>;
  }): Promise<DatasetEntity> {
    checkDatasetName(input.name);
    const repository = this.dataSource.getRepository(DatasetEntity);
    if (await repository.existsBy({ name: input.name }))
      throw new ConflictError(`a dataset named ${quote(input.name)} already exists; datasets are immutable, choose a new name`);
    const id = randomUUID();
    const stored = await this.store.put(`datasets/${id}/table.json.gz`, serializeTable(input.table));
    try {
      return await repository.save({
        id,
        name: input.name,
        description: input.description ?? '',
        source: input.source,
        columns: input.table.columns,
        rowCount: input.table.rowCount,
        storageKey: stored.key,
        sha256: stored.sha256,
        sizeBytes: stored.size,
        spec: input.spec ?? null,
      });
    } catch (error) {
      await this.store.delete(stored.key).catch(() => undefined);
      if (pgErrorCode(error) === PG_UNIQUE_VIOLATION) throw new ConflictError(`a dataset named ${quote(input.name)} already exists`);
      throw error;
    }
  }

  async getDataset(nameOrId: string): Promise<DatasetEntity> {
    const repository = this.dataSource.getRepository(DatasetEntity);
    const byName = await repository.findOneBy({ name: nameOrId });
    const found = byName ?? (isUuid(nameOrId) ? await repository.findOneBy({ id: nameOrId }) : null);
    if (!found) throw new NotFoundError(`no dataset named ${quote(nameOrId)}`, { field: 'dataset' });
    return found;
  }

  listDatasets(): Promise<DatasetEntity[]> {
    return this.dataSource.getRepository(DatasetEntity).find({ order: { createdAt: 'DESC' } });
  }

  /** The rows of a dataset, checked against its SHA-256. */
  async loadTable(dataset: DatasetEntity): Promise<DatasetTable> {
    return deserializeTable(await this.store.get(dataset.storageKey, dataset.sha256));
  }
}
