/**
 * `kybernet models list`: the registry at a glance for an operator at a terminal — each registered
 * model with its family, the version that serves (ACTIVE) and the versions shadow-scoring beside it.
 */
import type { DataSource } from 'typeorm';

export interface ModelRow {
  name: string;
  family: string;
  active: number | null;
  shadows: number[];
}

export async function listModels(dataSource: DataSource): Promise<ModelRow[]> {
  const rows: { name: string; family: string; active: number | null; shadows: number[] }[] = await dataSource.query(
    `SELECT m.name, m.family,
            (SELECT v.version FROM model_versions v WHERE v.registered_model_id = m.id AND v.status = 'ACTIVE') AS active,
            COALESCE((SELECT array_agg(v.version ORDER BY v.version) FROM model_versions v
                       WHERE v.registered_model_id = m.id AND v.status = 'SHADOW'), '{}') AS shadows
       FROM registered_models m
      ORDER BY m.name`,
  );
  return rows;
}

/** The rows as an aligned table (a header, then a line per model), or a sentence when there are none. */
export function formatModels(rows: ModelRow[]): string {
  if (rows.length === 0) return 'no registered models yet (createRegisteredModel, or npm run demo)';
  const table = [
    ['MODEL', 'FAMILY', 'ACTIVE', 'SHADOWS'],
    ...rows.map((row) => [
      row.name,
      row.family,
      row.active === null ? '-' : `v${row.active}`,
      row.shadows.length ? row.shadows.map((v) => `v${v}`).join(', ') : '-',
    ]),
  ];
  const widths = table[0].map((_, column) => Math.max(...table.map((cells) => cells[column].length)));
  return table
    .map((cells) => cells.map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column]))).join('  '))
    .join('\n');
}
