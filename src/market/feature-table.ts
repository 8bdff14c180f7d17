/**
 * A training table from bar series: one row per symbol and bar after warm-up, with the named
 * technical features (computed from bars up to that bar only) and a label looking `horizon` bars
 * ahead. Rows whose label lies beyond the series keep a missing target; training drops them.
 * With `from`, bars before it only warm the features up: the table starts at the first bar at or
 * after `from`.
 */
import type { Bar } from '../lib/bars';
import type { DatasetTable } from '../lib/dataset-table';
import { InvalidInputError } from '../lib/errors';
import { FEATURE_NAMES, WARMUP_BARS, computeFeatures } from './features';
import { computeLabels, type LabelSpec } from './labels';

export function labelColumnName(spec: LabelSpec): string {
  return `${spec.kind}_${spec.horizon}`;
}

export interface FeatureTableOptions {
  /** UTC epoch ms: rows start at the first bar at or after it. */
  from?: number;
}

export function buildFeatureTable(
  barsBySymbol: Record<string, readonly Bar[]>,
  label: LabelSpec,
  options: FeatureTableOptions = {},
): DatasetTable {
  const symbols = Object.keys(barsBySymbol).sort();
  if (symbols.length === 0) throw new InvalidInputError('expects bars of at least one symbol, but got none', { field: 'symbols' });
  const columns = [
    { name: 'symbol', type: 'string' as const },
    { name: 'timestamp', type: 'timestamp' as const },
    ...FEATURE_NAMES.map((name) => ({ name, type: 'number' as const })),
    { name: labelColumnName(label), type: 'number' as const },
  ];
  const data: DatasetTable['data'] = columns.map(() => []);
  const width = FEATURE_NAMES.length;
  for (const symbol of symbols) {
    const bars = barsBySymbol[symbol];
    const features = computeFeatures(bars);
    const labels = computeLabels(bars, label);
    for (let row = WARMUP_BARS; row < bars.length; row++) {
      if (options.from !== undefined && bars[row].timestamp < options.from) continue;
      data[0].push(symbol);
      data[1].push(bars[row].timestamp);
      for (let j = 0; j < width; j++) {
        const value = features.values[row * width + j];
        data[2 + j].push(Number.isNaN(value) ? null : value);
      }
      data[2 + width].push(Number.isNaN(labels[row]) ? null : labels[row]);
    }
  }
  return { columns, rowCount: data[0].length, data };
}
