/**
 * A forecast's outcome: what the series did over its horizon, horizon rows × targets stored step-major
 * as `request_outcomes.actuals` (the layout of the forecast's outputs), `actual` its first value. A
 * client sends the rows with recordOutcome (`forecastActuals` checks them); for a model trained on a
 * SERIES dataset they are filled in from stored bars (`realisedForecast`). Pure: no I/O.
 *
 * Filling from bars. A step of a SERIES dataset is a time at which every symbol of the dataset has a bar
 * (its INNER alignment, market/series-table.ts), so step h of a forecast made at `asOf` is the h-th such
 * time after asOf — of every symbol the model was trained on, not only its targets — and the value of a
 * target channel there is computed by the dataset's own builder: the bar field, or its return over the
 * aligned time before (the last one at or before asOf, for step 1).
 */
import type { Bar } from '../lib/bars';
import { InvalidInputError } from '../lib/errors';
import type { BarField, ReturnKind } from '../lib/market-vocabulary';
import { buildSeriesTable, MIN_SERIES_ROWS, type SeriesChannel } from '../market/series-table';
import type { ModelSignature, SequenceShape } from '../plugins/contract';
import { forecastRows } from '../serving/forecast-history';

/** The shape of a forecast's outcome: that of a sequence model's version (task 'forecast'), else null. */
export function forecastShapeOf(signature: ModelSignature | null | undefined): SequenceShape | null {
  return signature?.task === 'forecast' && signature.sequence ? signature.sequence : null;
}

const count = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;

/**
 * A forecast's realised rows as sent (horizon rows × targets), checked and flattened step-major, each
 * value rounded to the float32 the column stores; every refusal names the row and target.
 */
export function forecastActuals(values: readonly (readonly number[])[], shape: SequenceShape, field = 'values'): number[] {
  const K = shape.targets.length;
  const targets = shape.targets.join(', ');
  if (values.length !== shape.horizon) {
    throw new InvalidInputError(
      `${field}: expects ${count(shape.horizon, 'row')} (the forecast's horizon) of ${count(K, 'value')} (${targets}), but got ${count(values.length, 'row')}`,
      { field },
    );
  }
  const actuals: number[] = [];
  values.forEach((row, h) => {
    if (row.length !== K) {
      throw new InvalidInputError(`${field}[${h}]: expects ${count(K, 'value')} (${targets}), but got ${row.length}`, { field });
    }
    row.forEach((value, k) => {
      const stored = Math.fround(value);
      if (!Number.isFinite(stored)) {
        throw new InvalidInputError(`${field}[${h}][${k}] (${shape.targets[k]}) expects a finite float32, but got ${value}`, { field });
      }
      actuals.push(stored);
    });
  });
  return actuals;
}

/** Stored actuals as horizon rows × targets for a forecast of `shape`; null when there are none or they are of another size. */
export function forecastOutcomeRows(actuals: readonly number[] | null, shape: SequenceShape | null): number[][] | null {
  if (!actuals || !shape || actuals.length !== shape.horizon * shape.targets.length) return null;
  return forecastRows(actuals, 0, shape);
}

/** What filling a version's forecasts from stored bars takes, from its SERIES dataset. */
export interface SeriesOutcomePlan {
  /** Every symbol of the dataset: a step is a time at which each has a bar. */
  symbols: string[];
  timeframe: string;
  /** null: the channels are bar fields; else their returns. */
  returnKind: ReturnKind | null;
  /** Per forecast target, in output order: the symbol and bar field it is. */
  targets: SeriesChannel[];
  horizon: number;
}

/**
 * The plan for forecasts of a version of `shape` trained on `dataset`; null unless the dataset is a
 * SERIES dataset whose channels include every target (a forecast of any other model is not filled).
 */
export function seriesOutcomePlan(
  dataset: { source: string; spec: Record<string, unknown> | null } | null,
  shape: SequenceShape | null,
): SeriesOutcomePlan | null {
  if (!shape || dataset?.source !== 'SERIES' || !dataset.spec) return null;
  const spec = dataset.spec as { symbols?: string[]; timeframe?: string; returnKind?: ReturnKind | null; channels?: SeriesChannel[] };
  if (!spec.symbols?.length || !spec.timeframe || !spec.channels) return null;
  const byColumn = new Map(spec.channels.map((channel) => [channel.column, channel]));
  const targets = shape.targets.map((target) => byColumn.get(target));
  if (targets.some((target) => target === undefined)) return null;
  return {
    symbols: spec.symbols,
    timeframe: spec.timeframe,
    returnKind: spec.returnKind ?? null,
    targets: targets as SeriesChannel[],
    horizon: shape.horizon,
  };
}

/** Aligned times at or before asOf a fill gives the builder: the base of step 1, and one more so a table has MIN_SERIES_ROWS rows. */
export const BASE_TIMES = 2;

/**
 * The realised rows of a forecast made at `asOf` (epoch ms), step-major (horizon × targets, as its
 * outputs), from each symbol's bars around asOf: for each, a run of consecutive stored bars from some
 * time at or before asOf to some time after it. Null while they are not all there: fewer than `horizon`
 * aligned times after asOf, or none at or before it. Throws the builder's InvalidInputError where a
 * return cannot be taken (a value that is not positive).
 *
 * Runs of bars suffice: a time at which every symbol has a bar and that lies within every run is
 * visible in all of them, so the aligned times the runs show around asOf are the dataset's, in order.
 */
export function realisedForecast(plan: SeriesOutcomePlan, asOf: number, around: ReadonlyMap<string, readonly Bar[]>): number[] | null {
  const perSymbol = plan.symbols.map((symbol) => around.get(symbol) ?? []);
  const common = perSymbol
    .map((bars) => new Set(bars.map((bar) => bar.timestamp)))
    .reduce((shared, times) => new Set([...shared].filter((time) => times.has(time))));
  const aligned = [...common].sort((a, b) => a - b);
  const before = aligned.filter((time) => time <= asOf).slice(-BASE_TIMES);
  const after = aligned.filter((time) => time > asOf).slice(0, plan.horizon);
  const rows = before.length + after.length - (plan.returnKind ? 1 : 0);
  if (before.length === 0 || after.length < plan.horizon || rows < MIN_SERIES_ROWS) return null;

  const needed = new Set([...before, ...after]);
  const series = new Map(plan.symbols.map((symbol, s) => [symbol, perSymbol[s].filter((bar) => needed.has(bar.timestamp))]));
  const fields = [...new Set(plan.targets.map((target) => target.field))] as BarField[];
  const { table } = buildSeriesTable(series, { fields, returns: plan.returnKind, align: 'inner' });
  const columns = plan.targets.map((target) => table.data[table.columns.findIndex((column) => column.name === target.column)] as number[]);
  const first = table.rowCount - plan.horizon; // the last `horizon` rows are the steps after asOf
  return Array.from({ length: plan.horizon }, (_, h) => columns.map((column) => column[first + h])).flat();
}
