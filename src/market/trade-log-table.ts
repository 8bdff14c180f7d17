/**
 * A training table from the system's own closed trades: one row per trade with the feature snapshot
 * it was executed on and what it realised, so that the learning loop can learn from its own trades.
 * Feature columns are the union of the snapshots' names (the named technical features first, in
 * their usual order, then any others alphabetically); a trade without a feature leaves it missing.
 * The target is `realized_return` (what the trade earned, so it depends on the side); `price_return` is
 * the market's move over the trade whatever the side — the value a forward-return model's predictions
 * are scored against (lib/trade-math), so the target for such a model. `entry_time` orders the rows
 * (the time the features were seen).
 */
import type { DatasetTable, CellValue, ColumnSpec } from '../lib/dataset-table';
import { InvalidInputError } from '../lib/errors';
import { FEATURE_NAMES } from './features';

export interface ClosedTradeRecord {
  id: string;
  clientTradeId: string;
  symbol: string;
  side: string;
  strategy: string | null;
  /** UTC epoch ms. */
  entryTime: number;
  exitTime: number;
  features: Readonly<Record<string, number | null>> | null;
  modelConfidence: number | null;
  holdingPeriodSeconds: number;
  pnl: number;
  realizedReturn: number;
  priceReturn: number;
  success: boolean;
}

const LEADING_COLUMNS: ColumnSpec[] = [
  { name: 'trade_id', type: 'string' },
  { name: 'client_trade_id', type: 'string' },
  { name: 'symbol', type: 'string' },
  { name: 'side', type: 'string' },
  { name: 'strategy', type: 'string' },
  { name: 'entry_time', type: 'timestamp' },
  { name: 'exit_time', type: 'timestamp' },
];
const TRAILING_COLUMNS: ColumnSpec[] = [
  { name: 'model_confidence', type: 'number' },
  { name: 'holding_period_seconds', type: 'number' },
  { name: 'pnl', type: 'number' },
  { name: 'realized_return', type: 'number' },
  { name: 'price_return', type: 'number' },
  { name: 'success', type: 'boolean' },
];

/** Column names a feature snapshot may not use, because the trade-log table has them already. */
export const TRADE_LOG_RESERVED_COLUMNS: readonly string[] = [...LEADING_COLUMNS, ...TRAILING_COLUMNS].map((column) => column.name);
export const TRADE_LOG_TARGET = 'realized_return';
export const TRADE_LOG_ORDER = 'entry_time';

function featureColumnNames(trades: readonly ClosedTradeRecord[]): string[] {
  const seen = new Set<string>();
  for (const trade of trades) for (const name of Object.keys(trade.features ?? {})) seen.add(name);
  const known = FEATURE_NAMES.filter((name) => seen.has(name));
  const others = [...seen].filter((name) => !(FEATURE_NAMES as readonly string[]).includes(name)).sort();
  return [...known, ...others];
}

export interface TradeLogTable {
  table: DatasetTable;
  /** The feature columns, in table order. */
  featureNames: string[];
}

export function buildTradeLogTable(trades: readonly ClosedTradeRecord[]): TradeLogTable {
  if (trades.length === 0) throw new InvalidInputError('expects at least one closed trade, but none matched', { field: 'trades' });
  const features = featureColumnNames(trades);
  const clash = features.find((name) => TRADE_LOG_RESERVED_COLUMNS.includes(name));
  if (clash)
    throw new InvalidInputError(`expects feature names other than the trade-log columns, but a snapshot has "${clash}"`, {
      field: 'features',
    });
  const columns: ColumnSpec[] = [...LEADING_COLUMNS, ...features.map((name) => ({ name, type: 'number' as const })), ...TRAILING_COLUMNS];
  const rows: CellValue[][] = trades.map((trade) => [
    trade.id,
    trade.clientTradeId,
    trade.symbol,
    trade.side,
    trade.strategy,
    trade.entryTime,
    trade.exitTime,
    ...features.map((name) => trade.features?.[name] ?? null),
    trade.modelConfidence,
    trade.holdingPeriodSeconds,
    trade.pnl,
    trade.realizedReturn,
    trade.priceReturn,
    trade.success,
  ]);
  return { table: { columns, rowCount: rows.length, data: columns.map((_, c) => rows.map((row) => row[c])) }, featureNames: features };
}
