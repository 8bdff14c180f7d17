/**
 * Features from stored bars: the feature snapshot of a symbol at a bar (what tradePrediction scores
 * when the caller sends no features), and immutable training datasets materialized from bars
 * (features and a label, or a time series of bar fields for sequence families) or from the trade log
 * (the snapshots of closed trades and what they realised).
 *
 * No look-ahead: a feature row at bar t is computed from bars up to t only, and a bars dataset reads
 * no bar after its `to` — labels whose t + h lies beyond it stay missing (training drops those rows).
 * Bars before `from` are read only to warm the indicators up (STABLE_HISTORY_BARS of them), so the
 * features agree with those computed on the full history, and with `featuresAt` at serving time.
 */
import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { DatasetEntity } from '../entities/dataset.entity';
import { TradeEntity } from '../entities/trade.entity';
import { parseSymbol, parseTimeframe, type Bar, type Timeframe } from '../lib/bars';
import type { DatasetTable } from '../lib/dataset-table';
import { InvalidInputError, quote } from '../lib/errors';
import { buildFeatureTable, labelColumnName } from './feature-table';
import { SERIES_TIME_COLUMN, buildSeriesTable, parseSeriesOptions, seriesChannels } from './series-table';
import { FEATURE_NAMES, STABLE_HISTORY_BARS, WARMUP_BARS, computeFeatures, type FeatureName } from './features';
import { LABEL_KINDS, type LabelSpec } from './labels';
import { priceReturn } from '../lib/trade-math';
import { TRADE_LOG_ORDER, TRADE_LOG_TARGET, buildTradeLogTable } from './trade-log-table';
import type { BarsService } from './bars.service';
import { checkDatasetName, type DatasetsService } from '../registry/datasets.service';

export interface FeatureSnapshot {
  symbol: string;
  timeframe: Timeframe;
  /** The bar the features describe (its start, UTC epoch ms). */
  timestamp: number;
  values: Record<FeatureName, number | null>;
}

export interface BarsDatasetSpec {
  symbols: string[];
  timeframe?: string | null;
  /** UTC epoch ms, inclusive; rows start at the first bar at or after it. */
  from?: number | null;
  /** UTC epoch ms, inclusive; no bar after it is read. */
  to?: number | null;
  label: { kind: string; horizon: number };
}

export interface SeriesDatasetSpec {
  symbols: string[];
  timeframe?: string | null;
  /** UTC epoch ms, inclusive; only bars in [from, to] are read. */
  from?: number | null;
  to?: number | null;
  /** Bar fields (default close); unknown ones are refused. */
  columns?: string[] | null;
  returns?: boolean | null;
  /** simple (the default) or log; only with returns. */
  returnKind?: string | null;
  align?: string | null;
}

export interface TradesDatasetSpec {
  symbols?: string[] | null;
  strategies?: string[] | null;
  /** Closed trades whose exit time is within [from, to] (UTC epoch ms, inclusive). */
  from?: number | null;
  to?: number | null;
}

export interface MaterializeRequest<S> {
  name: string;
  description?: string | null;
  spec: S;
}

const MAX_SYMBOLS = 500;

function iso(ms: number | null | undefined): string | null {
  return ms === null || ms === undefined ? null : new Date(ms).toISOString();
}

function checkRange(from: number | null | undefined, to: number | null | undefined, field: string): void {
  if (from != null && to != null && from > to) {
    throw new InvalidInputError(`expects ${field}.from not after ${field}.to, but got ${iso(from)} > ${iso(to)}`, {
      field: `${field}.from`,
    });
  }
}

function checkSymbols(symbols: string[], field: string): void {
  if (symbols.length > MAX_SYMBOLS)
    throw new InvalidInputError(`expects at most ${MAX_SYMBOLS} symbols, but got ${symbols.length}`, { field });
  symbols.forEach((symbol, i) => parseSymbol(symbol, `${field}[${i}]`, { field }));
  const duplicate = symbols.find((symbol, i) => symbols.indexOf(symbol) !== i);
  if (duplicate) throw new InvalidInputError(`expects each symbol once, but ${quote(duplicate)} appears twice`, { field });
}

function noBarsInRange(
  symbol: string,
  timeframe: Timeframe,
  from: number | null | undefined,
  to: number | null | undefined,
  field: string,
) {
  return new InvalidInputError(
    `expects bars of ${symbol} ${timeframe} between ${iso(from) ?? 'the start'} and ${iso(to) ?? 'the end'}, but the store has none`,
    { field },
  );
}

function checkLabel(label: BarsDatasetSpec['label']): LabelSpec {
  if (!(LABEL_KINDS as readonly string[]).includes(label.kind)) {
    throw new InvalidInputError(`expects bars.label.kind to be one of ${LABEL_KINDS.join(', ')}, but got ${quote(String(label.kind))}`, {
      field: 'bars.label.kind',
    });
  }
  if (!Number.isInteger(label.horizon) || label.horizon < 1 || label.horizon > 1000) {
    throw new InvalidInputError(`expects bars.label.horizon to be a whole number of bars from 1 to 1000, but got ${label.horizon}`, {
      field: 'bars.label.horizon',
    });
  }
  return { kind: label.kind as LabelSpec['kind'], horizon: label.horizon };
}

/** The name of a rebuilt dataset: the original's, marked with when it was rebuilt (unique, within the 128-character limit). */
function rebuiltName(name: string): string {
  return `${name.slice(0, 96)}.rebuilt-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

function epochMs(iso: unknown): number | undefined {
  return typeof iso === 'string' ? Date.parse(iso) : undefined;
}

export class FeaturesService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly bars: BarsService,
    private readonly datasets: DatasetsService,
  ) {}

  /**
   * The named features of `symbol` at its last bar at or before `asOf` (default: its latest bar),
   * computed from the STABLE_HISTORY_BARS bars up to it.
   */
  async featuresAt(symbol: string, timeframe: Timeframe, asOf?: number): Promise<FeatureSnapshot> {
    parseSymbol(symbol);
    const bars = await this.bars.latestBars(symbol, timeframe, STABLE_HISTORY_BARS, asOf);
    if (bars.length <= WARMUP_BARS) {
      const until = asOf === undefined ? '' : ` at or before ${iso(asOf)}`;
      throw new InvalidInputError(
        `expects at least ${WARMUP_BARS + 1} bars of ${symbol} ${timeframe}${until} to compute its features, but the store has ${bars.length}; ingest them with ingestBars`,
        { field: 'symbol' },
      );
    }
    const matrix = computeFeatures(bars);
    const last = matrix.rows - 1;
    const values = Object.fromEntries(
      FEATURE_NAMES.map((name, j) => {
        const value = matrix.values[last * FEATURE_NAMES.length + j];
        return [name, Number.isNaN(value) ? null : value];
      }),
    ) as Record<FeatureName, number | null>;
    return { symbol, timeframe, timestamp: bars[last].timestamp, values };
  }

  /** A BARS dataset: the named features of each symbol's bars in the range and the label of `spec.label`. */
  async materializeBarsDataset(request: MaterializeRequest<BarsDatasetSpec>): Promise<DatasetEntity> {
    checkDatasetName(request.name);
    const { spec } = request;
    if (spec.symbols.length === 0)
      throw new InvalidInputError('expects bars.symbols to list at least one symbol, but got none', { field: 'bars.symbols' });
    checkSymbols(spec.symbols, 'bars.symbols');
    const timeframe = parseTimeframe(spec.timeframe ?? '1d', undefined, { field: 'bars.timeframe' });
    checkRange(spec.from, spec.to, 'bars');
    const label = checkLabel(spec.label);

    const barsBySymbol: Record<string, Bar[]> = {};
    for (const symbol of spec.symbols) {
      const bars = await this.bars.loadSeries({
        symbol,
        timeframe,
        from: spec.from ?? undefined,
        to: spec.to ?? undefined,
        lookback: spec.from == null ? undefined : STABLE_HISTORY_BARS,
      });
      const inRange = spec.from == null ? bars.length : bars.filter((bar) => bar.timestamp >= spec.from!).length;
      if (inRange === 0) throw noBarsInRange(symbol, timeframe, spec.from, spec.to, 'bars.symbols');
      barsBySymbol[symbol] = bars;
    }
    const table = buildFeatureTable(barsBySymbol, label, { from: spec.from ?? undefined });
    if (table.rowCount === 0) {
      throw new InvalidInputError(`expects more than ${WARMUP_BARS} bars per symbol (the features' warm-up), but the range leaves no row`, {
        field: 'bars.from',
      });
    }
    const timestamps = table.data[1] as number[];
    return this.datasets.saveTable({
      name: request.name,
      description: request.description ?? undefined,
      source: 'BARS',
      table,
      spec: {
        symbols: spec.symbols,
        timeframe,
        from: iso(spec.from),
        to: iso(spec.to),
        label,
        labelColumn: labelColumnName(label),
        featureNames: [...FEATURE_NAMES],
        orderColumn: 'timestamp',
        warmupHistoryBars: STABLE_HISTORY_BARS,
        firstRow: iso(Math.min(...timestamps)),
        lastRow: iso(Math.max(...timestamps)),
        barsRead: Object.fromEntries(Object.entries(barsBySymbol).map(([symbol, bars]) => [symbol, bars.length])),
      },
    });
  }

  /**
   * A SERIES dataset, what a sequence family trains on: a `time` column and one column per symbol ×
   * bar field (or its return), one row per time at which every symbol has a bar (series-table.ts).
   */
  async materializeSeriesDataset(request: MaterializeRequest<SeriesDatasetSpec>): Promise<DatasetEntity> {
    checkDatasetName(request.name);
    const { spec } = request;
    if (spec.symbols.length === 0)
      throw new InvalidInputError('expects series.symbols to list at least one symbol, but got none', { field: 'series.symbols' });
    checkSymbols(spec.symbols, 'series.symbols');
    const timeframe = parseTimeframe(spec.timeframe ?? '1d', undefined, { field: 'series.timeframe' });
    checkRange(spec.from, spec.to, 'series');
    const options = parseSeriesOptions(spec);
    seriesChannels(spec.symbols, options.fields); // refuses unusable column names before any bar is read

    const series = new Map<string, Bar[]>();
    for (const symbol of spec.symbols) {
      const bars = await this.bars.loadSeries({ symbol, timeframe, from: spec.from ?? undefined, to: spec.to ?? undefined });
      if (bars.length === 0) throw noBarsInRange(symbol, timeframe, spec.from, spec.to, 'series.symbols');
      series.set(symbol, bars);
    }
    const built = buildSeriesTable(series, options);
    const times = built.table.data[0] as number[];
    return this.datasets.saveTable({
      name: request.name,
      description: request.description ?? undefined,
      source: 'SERIES',
      table: built.table,
      spec: {
        symbols: spec.symbols,
        timeframe,
        from: iso(spec.from),
        to: iso(spec.to),
        columns: options.fields,
        returns: options.returns !== null,
        returnKind: options.returns,
        align: options.align,
        timeColumn: SERIES_TIME_COLUMN,
        orderColumn: SERIES_TIME_COLUMN,
        channels: built.channels,
        firstRow: iso(times[0]),
        lastRow: iso(times[times.length - 1]),
        barsRead: Object.fromEntries([...series].map(([symbol, bars]) => [symbol, bars.length])),
        alignedTimes: built.alignedTimes,
        droppedTimes: built.droppedTimes,
        missingBars: built.missingBars,
      },
    });
  }

  /**
   * The last `rows` rows of a SERIES dataset of `spec` (as a dataset records it) ending at `asOf` (default: the
   * latest bars): what a sequence model trained on that dataset forecasts from (trading/sequence-horizon.ts). The
   * same builder as materializeSeriesDataset, over each symbol's latest bars at or before `asOf`; as each symbol's
   * bars are a run ending there, the times aligned are the dataset's own and every return spans the same row before.
   * Twice the rows are read, for times some symbol lacks; fewer aligned rows than `rows` are refused.
   */
  async latestSeriesRows(spec: Record<string, unknown>, rows: number, asOf?: number): Promise<DatasetTable> {
    const symbols = spec.symbols as string[];
    const timeframe = parseTimeframe(spec.timeframe as string);
    const options = parseSeriesOptions(spec);
    const needed = rows + (options.returns ? 1 : 0);
    const series = new Map<string, Bar[]>();
    for (const symbol of symbols) series.set(symbol, await this.bars.latestBars(symbol, timeframe, 2 * needed, asOf));
    const until = asOf === undefined ? '' : ` at or before ${iso(asOf)}`;
    const short = symbols.find((symbol) => series.get(symbol)!.length < needed);
    const built = short === undefined ? buildSeriesTable(series, options).table : null;
    if (!built || built.rowCount < rows) {
      const base = options.returns ? ` (${options.returns} returns: one bar more, the first return's base)` : '';
      const got = built
        ? `the times every symbol has a bar give ${built.rowCount}`
        : `the store has ${series.get(short!)!.length} bars of ${short}`;
      throw new InvalidInputError(
        `expects ${rows} rows of ${symbols.join(', ')} ${timeframe}${until}${base}, but ${got}; ingest more bars with ingestBars`,
        { field: 'symbol' },
      );
    }
    return { columns: built.columns, rowCount: rows, data: built.data.map((column) => column.slice(-rows)) };
  }

  /**
   * The DatasetMaterializer of retraining (retraining.service.ts): a BARS, SERIES or TRADES dataset built
   * again, as a new dataset, from its spec without its end — so it holds the bars and closed trades
   * stored now. Null for a dataset of another source.
   */
  async rematerialize(dataset: DatasetEntity): Promise<DatasetEntity | null> {
    const spec = dataset.spec;
    if (!spec) return null;
    const request = {
      name: rebuiltName(dataset.name),
      description: `${dataset.name} rebuilt with the data stored on ${new Date().toISOString()}`,
    };
    if (dataset.source === 'BARS') {
      return this.materializeBarsDataset({
        ...request,
        spec: {
          symbols: spec.symbols as string[],
          timeframe: spec.timeframe as string,
          from: epochMs(spec.from),
          label: spec.label as LabelSpec,
        },
      });
    }
    if (dataset.source === 'SERIES') {
      return this.materializeSeriesDataset({
        ...request,
        spec: {
          symbols: spec.symbols as string[],
          timeframe: spec.timeframe as string,
          from: epochMs(spec.from),
          columns: spec.columns as string[],
          returns: spec.returns as boolean,
          returnKind: spec.returnKind as string | null,
          align: spec.align as string,
        },
      });
    }
    if (dataset.source === 'TRADES') {
      return this.materializeTradesDataset({
        ...request,
        spec: { symbols: spec.symbols as string[] | null, strategies: spec.strategies as string[] | null, from: epochMs(spec.from) },
      });
    }
    return null;
  }

  /** A TRADES dataset: each closed trade's feature snapshot with what it realised (target `realized_return`). */
  async materializeTradesDataset(request: MaterializeRequest<TradesDatasetSpec>): Promise<DatasetEntity> {
    checkDatasetName(request.name);
    const { spec } = request;
    if (spec.symbols) checkSymbols(spec.symbols, 'trades.symbols');
    checkRange(spec.from, spec.to, 'trades');
    const query = this.dataSource
      .getRepository(TradeEntity)
      .createQueryBuilder('t')
      .where(`t.status = 'CLOSED'`)
      .orderBy('t.entry_time', 'ASC')
      .addOrderBy('t.id', 'ASC');
    if (spec.symbols?.length) query.andWhere('t.symbol IN (:...symbols)', { symbols: spec.symbols });
    if (spec.strategies?.length) query.andWhere('t.strategy IN (:...strategies)', { strategies: spec.strategies });
    if (spec.from != null) query.andWhere('t.exit_time >= :from', { from: new Date(spec.from) });
    if (spec.to != null) query.andWhere('t.exit_time <= :to', { to: new Date(spec.to) });
    const trades = await query.getMany();
    const { table, featureNames } = buildTradeLogTable(
      trades.map((trade) => ({
        id: trade.id,
        clientTradeId: trade.clientTradeId,
        symbol: trade.symbol,
        side: trade.side,
        strategy: trade.strategy,
        entryTime: trade.entryTime.getTime(),
        exitTime: trade.exitTime!.getTime(),
        features: trade.features,
        modelConfidence: trade.modelConfidence,
        holdingPeriodSeconds: trade.holdingPeriodSeconds!,
        pnl: trade.pnl!,
        realizedReturn: trade.realizedReturn!,
        priceReturn: priceReturn(trade.entryPrice, trade.exitPrice!),
        success: trade.success!,
      })),
    );
    return this.datasets.saveTable({
      name: request.name,
      description: request.description ?? undefined,
      source: 'TRADES',
      table,
      spec: {
        symbols: spec.symbols ?? null,
        strategies: spec.strategies ?? null,
        from: iso(spec.from),
        to: iso(spec.to),
        trades: trades.length,
        targetColumn: TRADE_LOG_TARGET,
        orderColumn: TRADE_LOG_ORDER,
        featureNames,
      },
    });
  }
}
