/**
 * A sequence model (N-HiTS, PatchTST) as a horizon model of tradePrediction. It answers a horizon when its
 * ACTIVE version was trained on a SERIES dataset of returns (market/series-table.ts) and forecasts the close
 * of the requested symbol: its history is that dataset's last inputLength rows rebuilt from the stored bars
 * (FeaturesService.latestSeriesRows, the dataset's own builder), and the forecast of the close return over the
 * horizon's first steps compounds into the return over the horizon. A model of price levels forecasts no
 * return, and one forecasting fewer steps than the horizon cannot cover it: both are refused. Pure: no I/O.
 */
import type { DatasetEntity } from '../entities/dataset.entity';
import type { ModelVersionEntity } from '../entities/model-version.entity';
import type { DatasetTable } from '../lib/dataset-table';
import { quote } from '../lib/errors';
import type { ReturnKind } from '../lib/market-vocabulary';
import { parseSeriesOptions, seriesChannels, seriesColumnName, SERIES_TIME_COLUMN } from '../market/series-table';

/** How one sequence version answers one horizon. */
export interface SequenceHorizon {
  /** The spec of the SERIES dataset the version was trained on: its last rows are the history. */
  datasetSpec: Record<string, unknown>;
  inputLength: number;
  /** The history's columns, in the version's order (its input channels, version.featureNames). */
  channels: string[];
  /** The target whose forecast is compounded: the requested symbol's close return. */
  target: string;
  /** Forecast steps compounded: the horizon in bars (the first of the model's steps when it forecasts more). */
  steps: number;
  returnKind: ReturnKind;
}

export interface SequenceHorizonRequest {
  model: string;
  version: Pick<ModelVersionEntity, 'version' | 'signature' | 'featureNames'>;
  /** The dataset the version was trained on; null when it names none (an imported version). */
  dataset: Pick<DatasetEntity, 'name' | 'source' | 'spec'> | null;
  symbol: string;
  timeframe: string;
  /** In bars of the timeframe, as tradePrediction's horizons are. */
  horizon: number;
}

/** How the version answers the request's horizon, or why it cannot (the reason its horizon is unavailable). */
export function sequenceHorizon(request: SequenceHorizonRequest): SequenceHorizon | { reason: string } {
  const { model, version, dataset, symbol, timeframe, horizon } = request;
  const named = `version ${version.version} of "${model}"`;
  const shape = version.signature?.sequence;
  if (!shape) return { reason: `${named} is a forecast without a sequence shape; train or import it again` };
  if (!dataset) {
    return {
      reason: `${named} names no dataset it was trained on, so its history cannot be built from bars; train it on a SERIES dataset`,
    };
  }
  if (dataset.source !== 'SERIES' || !dataset.spec) {
    return {
      reason:
        `${named} was trained on the ${dataset.source} dataset ${quote(dataset.name)}, ` +
        'but a sequence horizon model needs a SERIES dataset of returns (createDataset with series)',
    };
  }
  const spec = dataset.spec;
  if (!spec.returns) {
    return {
      reason:
        `${named} forecasts price levels, not returns (its SERIES dataset ${quote(dataset.name)} has returns: false); ` +
        'train it on a SERIES dataset with returns: true',
    };
  }
  if (spec.timeframe !== timeframe)
    return { reason: `${named} forecasts ${String(spec.timeframe)} bars, but the request is about ${timeframe} bars` };
  const symbols = spec.symbols as string[];
  const target = seriesColumnName(symbol, 'close');
  if (!symbols.includes(symbol) || !shape.targets.includes(target)) {
    return { reason: `${named} does not forecast ${target} (its targets: ${shape.targets.join(', ')})` };
  }
  if (shape.horizon < horizon) {
    return {
      reason:
        `${named} forecasts ${shape.horizon} bars ahead, fewer than this horizon's ${horizon}; ` +
        `map it to a horizon of at most ${shape.horizon}`,
    };
  }
  const options = parseSeriesOptions(spec);
  const built = new Set(seriesChannels(symbols, options.fields).map((channel) => channel.column));
  const unbuilt = version.featureNames.find((name) => !built.has(name));
  if (unbuilt !== undefined) return { reason: `${named} reads ${unbuilt}, which its SERIES dataset ${quote(dataset.name)} does not build` };
  return {
    datasetSpec: spec,
    inputLength: shape.inputLength,
    channels: version.featureNames,
    target,
    steps: horizon,
    returnKind: options.returns!,
  };
}

/** The history (rows × channels, oldest first) and the time of its last row, from rows of the SERIES dataset. */
export function historyOf(table: DatasetTable, channels: readonly string[]): { history: number[][]; lastTime: number } {
  const column = (name: string) => table.data[table.columns.findIndex((c) => c.name === name)] as number[];
  const values = channels.map(column);
  const times = column(SERIES_TIME_COLUMN);
  return { history: times.map((_, r) => values.map((channel) => channel[r])), lastTime: times[times.length - 1] };
}

/**
 * The return over the horizon from a forecast (steps × targets): the target's per-bar returns over the first
 * `steps` compounded. A sum of log returns is the log return over the horizon; it is answered as the simple
 * return exp(Σ) − 1, because every horizon's expectedReturn is one (trade-signal.ts and risk.ts take simple
 * returns, and a tabular horizon model predicts forward_return). Simple returns compound as ∏(1 + r) − 1.
 * Null when the forecast lacks the target or the steps (the ACTIVE version changed since it was planned for).
 */
export function horizonReturn(
  forecast: { values: number[][]; targets: string[] },
  plan: Pick<SequenceHorizon, 'target' | 'steps' | 'returnKind'>,
): number | null {
  const k = forecast.targets.indexOf(plan.target);
  if (k < 0 || forecast.values.length < plan.steps) return null;
  const returns = forecast.values.slice(0, plan.steps).map((row) => row[k]);
  return plan.returnKind === 'log'
    ? Math.expm1(returns.reduce((sum, r) => sum + r, 0))
    : returns.reduce((growth, r) => growth * (1 + r), 1) - 1;
}

/**
 * The error scale of a sequence horizon's return, what a tabular horizon model's `rmse` is: a sequence version's
 * `rmse` is one step's error on the original scale (over every step and target of its validation windows), and
 * the error of a sum of `steps` roughly independent steps grows as √steps. Null without a positive rmse.
 */
export function horizonErrorScale(rmse: number | undefined, steps: number): number | null {
  return rmse !== undefined && rmse > 0 ? Math.sqrt(steps) * rmse : null;
}
