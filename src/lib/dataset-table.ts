/**
 * Typed, column-oriented tables: what a dataset holds. Built from JSON rows or CSV text, with each
 * column's type declared or inferred, and serialised canonically (so equal tables hash equally).
 * Pure: no I/O.
 */
import { parse } from 'csv-parse/sync';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { TabularTrainingSet } from '../plugins/contract';
import { excerpt, InvalidInputError, quote } from './errors';

export type ColumnType = 'number' | 'string' | 'boolean' | 'timestamp';
export const COLUMN_TYPE_NAMES: readonly ColumnType[] = ['number', 'string', 'boolean', 'timestamp'];

export interface ColumnSpec {
  name: string;
  type: ColumnType;
}

/** number and timestamp (epoch ms) columns hold numbers, boolean columns booleans, string columns strings; null = missing. */
export type CellValue = number | string | boolean | null;

export interface DatasetTable {
  columns: ColumnSpec[];
  rowCount: number;
  /** data[c][r]: column-major. */
  data: CellValue[][];
}

export interface TableLimits {
  maxRows: number;
  maxColumns: number;
  /** Characters of one cell as sent (a CSV field or a JSON string value). */
  maxCellChars: number;
}

export const DEFAULT_TABLE_LIMITS: TableLimits = { maxRows: 2_000_000, maxColumns: 512, maxCellChars: 10_000 };

const TIMESTAMP_PATTERN = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;
const NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_.-]{0,127}$/;

function parseCell(raw: unknown, type: ColumnType, where: () => string): CellValue {
  if (raw === null || raw === undefined || raw === '') return null;
  switch (type) {
    case 'number': {
      const value = typeof raw === 'number' ? raw : typeof raw === 'string' ? Number(raw.trim()) : NaN;
      if (typeof raw === 'boolean' || !Number.isFinite(value)) {
        throw new InvalidInputError(`${where()}: expects a finite number, but got ${typeof raw === 'string' ? quote(raw) : excerpt(raw)}`);
      }
      return value;
    }
    case 'boolean': {
      if (typeof raw === 'boolean') return raw;
      const text = String(raw).trim().toLowerCase();
      if (text === 'true' || text === '1') return true;
      if (text === 'false' || text === '0') return false;
      throw new InvalidInputError(`${where()}: expects true or false, but got ${typeof raw === 'string' ? quote(raw) : excerpt(raw)}`);
    }
    case 'timestamp': {
      const millis = typeof raw === 'number' ? raw : TIMESTAMP_PATTERN.test(String(raw).trim()) ? Date.parse(String(raw).trim()) : NaN;
      if (!Number.isFinite(millis)) {
        throw new InvalidInputError(
          `${where()}: expects an ISO-8601 date or epoch milliseconds, but got ${typeof raw === 'string' ? quote(raw) : excerpt(raw)}`,
        );
      }
      return millis;
    }
    case 'string':
      return typeof raw === 'string' ? raw : JSON.stringify(raw);
  }
}

function inferType(values: unknown[]): ColumnType {
  const present = values.filter((value) => value !== null && value !== undefined && value !== '');
  if (present.length === 0) return 'number';
  if (
    present.every(
      (value) => typeof value === 'number' || (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))),
    )
  ) {
    return 'number';
  }
  if (present.every((value) => typeof value === 'boolean' || /^(true|false)$/i.test(String(value)))) return 'boolean';
  if (present.every((value) => typeof value === 'string' && TIMESTAMP_PATTERN.test(value.trim()))) return 'timestamp';
  return 'string';
}

function checkNames(names: string[], limits: TableLimits): void {
  if (names.length === 0) throw new InvalidInputError('expects at least one column, but got none', { field: 'columns' });
  if (names.length > limits.maxColumns) {
    throw new InvalidInputError(`expects at most ${limits.maxColumns} columns, but got ${names.length}`, { field: 'columns' });
  }
  const seen = new Set<string>();
  for (const name of names) {
    if (!NAME_PATTERN.test(name)) {
      throw new InvalidInputError(`expects column names of letters, digits, _ . - (starting with a letter or _), but got ${quote(name)}`, {
        field: 'columns',
      });
    }
    if (seen.has(name)) throw new InvalidInputError(`expects unique column names, but ${quote(name)} appears twice`, { field: 'columns' });
    seen.add(name);
  }
}

function build(
  names: string[],
  rawColumns: unknown[][],
  declared: ColumnSpec[] | undefined,
  rowLabel: (row: number) => string,
  limits: TableLimits,
): DatasetTable {
  checkNames(names, limits);
  const rowCount = rawColumns[0]?.length ?? 0;
  if (rowCount === 0) throw new InvalidInputError('expects at least one row, but got none', { field: 'rows' });
  if (rowCount > limits.maxRows)
    throw new InvalidInputError(`expects at most ${limits.maxRows} rows, but got ${rowCount}`, { field: 'rows' });
  const declaredByName = new Map((declared ?? []).map((column) => [column.name, column.type]));
  for (const name of declaredByName.keys()) {
    if (!names.includes(name))
      throw new InvalidInputError(`declares a type for column ${quote(name)}, which the data does not have`, { field: 'columns' });
  }
  const columns = names.map((name, c) => ({ name, type: declaredByName.get(name) ?? inferType(rawColumns[c]) }));
  const data = columns.map((column, c) =>
    rawColumns[c].map((raw, r) => {
      const where = () => `${rowLabel(r)}, column "${column.name}"`;
      if (typeof raw === 'string' && raw.length > limits.maxCellChars) {
        throw new InvalidInputError(`${where()}: expects a cell of at most ${limits.maxCellChars} characters, but got ${raw.length}`, {
          field: 'rows',
        });
      }
      return parseCell(raw, column.type, where);
    }),
  );
  return { columns, rowCount, data };
}

/** From JSON objects; the columns are the union of keys in first-seen order. */
export function tableFromRows(rows: unknown, declared?: ColumnSpec[], limits = DEFAULT_TABLE_LIMITS): DatasetTable {
  if (!Array.isArray(rows)) throw new InvalidInputError('expects rows to be an array of objects', { field: 'rows' });
  if (rows.length > limits.maxRows)
    throw new InvalidInputError(`expects at most ${limits.maxRows} rows, but got ${rows.length}`, { field: 'rows' });
  const names: string[] = [];
  const index = new Map<string, number>();
  rows.forEach((row, r) => {
    if (row === null || typeof row !== 'object' || Array.isArray(row)) {
      throw new InvalidInputError(`row ${r + 1}: expects an object of column values, but got ${excerpt(row)}`, { field: 'rows' });
    }
    for (const key of Object.keys(row)) {
      if (!index.has(key)) {
        index.set(key, names.length);
        names.push(key);
      }
    }
  });
  const rawColumns = names.map((name) => rows.map((row) => (row as Record<string, unknown>)[name] ?? null));
  return build(names, rawColumns, declared, (r) => `row ${r + 1}`, limits);
}

/** From CSV text with a header line; line numbers in errors count the header as line 1. */
export function tableFromCsv(text: string, declared?: ColumnSpec[], limits = DEFAULT_TABLE_LIMITS): DatasetTable {
  let records: string[][];
  try {
    records = parse(text, { skip_empty_lines: true, trim: true, relax_column_count: false, bom: true });
  } catch (error) {
    throw new InvalidInputError(`CSV could not be parsed: ${(error as Error).message}`, { field: 'csv' });
  }
  if (records.length < 2) throw new InvalidInputError('expects a CSV header line and at least one row', { field: 'csv' });
  const [header, ...body] = records;
  const rawColumns = header.map((_, c) => body.map((record) => record[c]));
  return build(header, rawColumns, declared, (r) => `line ${r + 2}`, limits);
}

export function columnIndex(table: DatasetTable, name: string, field: string): number {
  const index = table.columns.findIndex((column) => column.name === name);
  if (index < 0) {
    throw new InvalidInputError(
      `expects ${field} to name a column among ${table.columns.map((c) => c.name).join(', ')}, but got ${quote(name)}`,
      {
        field,
      },
    );
  }
  return index;
}

/** Canonical bytes: gzip of the JSON document (columns, rowCount, data). */
export function serializeTable(table: DatasetTable): Buffer {
  return gzipSync(JSON.stringify({ columns: table.columns, rowCount: table.rowCount, data: table.data }), { level: 6 });
}

export function deserializeTable(bytes: Uint8Array): DatasetTable {
  return JSON.parse(gunzipSync(bytes).toString('utf8')) as DatasetTable;
}

export interface TrainingColumns {
  target: string;
  features: string[];
  /** Rows are sorted by this column (ascending) before training, so validation is the latest data. */
  orderBy: string;
}

/**
 * The tabular training set of `table`: rows sorted by `orderBy`, feature columns as Float32 (booleans
 * as 0/1, missing as NaN), rows without a target dropped (labels at the end of a series have none).
 */
export function toTrainingSet(table: DatasetTable, columns: TrainingColumns): { set: TabularTrainingSet; droppedRows: number } {
  if (columns.features.length === 0)
    throw new InvalidInputError('expects at least one feature column, but got none', { field: 'featureColumns' });
  if (columns.features.includes(columns.target)) {
    throw new InvalidInputError(`expects the target column "${columns.target}" not to be a feature too`, { field: 'featureColumns' });
  }
  const targetIndex = columnIndex(table, columns.target, 'targetColumn');
  const orderIndex = columnIndex(table, columns.orderBy, 'orderColumn');
  const featureIndexes = columns.features.map((name) => columnIndex(table, name, 'featureColumns'));
  for (const index of [targetIndex, ...featureIndexes]) {
    const column = table.columns[index];
    if (column.type !== 'number' && column.type !== 'boolean') {
      throw new InvalidInputError(`expects column "${column.name}" to be number or boolean, but it is ${column.type}`, {
        field: 'featureColumns',
      });
    }
  }
  const orderColumn = table.data[orderIndex];
  const targetColumn = table.data[targetIndex];
  const rows = [...Array(table.rowCount).keys()].filter((r) => targetColumn[r] !== null);
  rows.sort((a, b) => compareCells(orderColumn[a], orderColumn[b]));
  const width = featureIndexes.length;
  const features = new Float32Array(rows.length * width);
  const target = new Float32Array(rows.length);
  rows.forEach((r, i) => {
    target[i] = Number(targetColumn[r]);
    featureIndexes.forEach((c, j) => {
      const value = table.data[c][r];
      features[i * width + j] = value === null ? NaN : Number(value);
    });
  });
  return {
    set: { kind: 'tabular', featureNames: [...columns.features], features, target, rows: rows.length },
    droppedRows: table.rowCount - rows.length,
  };
}

/** The order toTrainingSet sorts rows in: numbers and text ascending, missing values last. */
export function compareCells(a: CellValue, b: CellValue): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return a < b ? -1 : 1;
}
