/**
 * The arithmetic of one trade, from its execution and its exit. For side s (+1 LONG, −1 SHORT),
 * quantity q, entry price P₀, exit price P₁ and fees f (≥ 0, in the account currency):
 *
 *   pnl             = s · (P₁ − P₀) · q − f
 *   realizedReturn  = pnl / (P₀ · q)          the return on the notional committed at entry
 *   priceReturn     = P₁ / P₀ − 1             the market's move over the trade, whatever the side
 *   holdingPeriod   = exit time − entry time, in seconds
 *   success         = pnl > 0
 *
 * A prediction that informed the trade is scored against what it predicted about the market:
 * a regression (a forward return) against priceReturn, a binary model (the probability of a rise)
 * against 1 when the price rose and 0 otherwise.
 *
 * Every input is held to TRADE_LIMITS, so that every figure above is finite and so is any sum of them
 * a report takes over the trade log (|pnl| ≤ 3·10¹⁵, |realizedReturn| ≤ 3·10²⁴, priceReturn ≤ 10²⁴):
 * a trade whose products would overflow is refused before anything is written, never stored as ±∞ or
 * NaN. The bounds are far beyond any real trade.
 */
import { PRICE_RANGE } from './bars';
import { refuse } from './errors';
import type { ScoredTask } from './scored-task';

export const TRADE_SIDES = ['LONG', 'SHORT'] as const;
export type TradeSide = (typeof TRADE_SIDES)[number];

export interface TradeEntry {
  side: TradeSide;
  quantity: number;
  entryPrice: number;
  entryTime: Date;
}

export interface TradeExit {
  exitPrice: number;
  exitTime: Date;
  /** Commissions and costs of the round trip, ≥ 0; default 0. */
  fees?: number;
}

export interface TradeResult {
  pnl: number;
  realizedReturn: number;
  priceReturn: number;
  holdingPeriodSeconds: number;
  success: boolean;
}

/** The range of every price, quantity, notional (price × quantity) and fee a trade may carry. */
export const TRADE_LIMITS = {
  minPrice: PRICE_RANGE.min,
  maxPrice: PRICE_RANGE.max,
  maxQuantity: 1e15,
  minNotional: 1e-9,
  maxNotional: 1e15,
  maxFees: 1e15,
} as const;

function checkPrice(field: string, value: number): void {
  if (!(Number.isFinite(value) && value > 0)) refuse(field, 'to be a finite price > 0', value);
  if (!(value >= TRADE_LIMITS.minPrice && value <= TRADE_LIMITS.maxPrice))
    refuse(field, `to be a price in [${TRADE_LIMITS.minPrice}, ${TRADE_LIMITS.maxPrice}]`, value);
}

/** Refuses a price × quantity outside [minNotional, maxNotional] (so that no product or ratio of the trade overflows). */
function checkNotional(field: string, price: number, quantity: number): void {
  const notional = price * quantity;
  if (!(notional >= TRADE_LIMITS.minNotional && notional <= TRADE_LIMITS.maxNotional)) {
    refuse(
      field,
      `× quantity to be a notional in [${TRADE_LIMITS.minNotional}, ${TRADE_LIMITS.maxNotional}]`,
      `${price} × ${quantity} = ${notional}`,
    );
  }
}

function checkTime(field: string, value: Date): void {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) refuse(field, 'to be a valid date-time', value);
}

/**
 * Refuses an execution that cannot be a trade: a side other than LONG/SHORT, a quantity, price or notional outside TRADE_LIMITS, a bad
 * time.
 */
export function checkEntry(entry: TradeEntry): void {
  if (!(TRADE_SIDES as readonly string[]).includes(entry.side)) refuse('side', `to be one of ${TRADE_SIDES.join(', ')}`, entry.side);
  if (!(Number.isFinite(entry.quantity) && entry.quantity > 0)) refuse('quantity', 'to be a finite number > 0', entry.quantity);
  if (!(entry.quantity <= TRADE_LIMITS.maxQuantity)) refuse('quantity', `to be at most ${TRADE_LIMITS.maxQuantity}`, entry.quantity);
  checkPrice('entryPrice', entry.entryPrice);
  checkNotional('entryPrice', entry.entryPrice, entry.quantity);
  checkTime('entryTime', entry.entryTime);
}

/** The market's move over a trade, whatever its side. */
export function priceReturn(entryPrice: number, exitPrice: number): number {
  return exitPrice / entryPrice - 1;
}

/** The result of closing `entry` at `exit`; refuses an exit before the entry, a price ≤ 0 or negative fees. */
export function tradeResult(entry: TradeEntry, exit: TradeExit): TradeResult {
  checkEntry(entry);
  checkPrice('exitPrice', exit.exitPrice);
  checkNotional('exitPrice', exit.exitPrice, entry.quantity);
  checkTime('exitTime', exit.exitTime);
  const fees = exit.fees ?? 0;
  if (!(Number.isFinite(fees) && fees >= 0)) refuse('fees', 'to be a finite amount ≥ 0', fees);
  if (!(fees <= TRADE_LIMITS.maxFees)) refuse('fees', `to be at most ${TRADE_LIMITS.maxFees}`, fees);
  const heldMs = exit.exitTime.getTime() - entry.entryTime.getTime();
  if (heldMs < 0) {
    refuse('exitTime', `not to be before the entry at ${entry.entryTime.toISOString()}`, exit.exitTime.toISOString());
  }
  const sign = entry.side === 'LONG' ? 1 : -1;
  const pnl = sign * (exit.exitPrice - entry.entryPrice) * entry.quantity - fees;
  const result = {
    pnl,
    realizedReturn: pnl / (entry.entryPrice * entry.quantity),
    priceReturn: priceReturn(entry.entryPrice, exit.exitPrice),
    holdingPeriodSeconds: heldMs / 1000,
    success: pnl > 0,
  };
  // Unreachable within TRADE_LIMITS; kept so that no change of the limits can ever store ±∞ or NaN.
  for (const key of ['pnl', 'realizedReturn', 'priceReturn', 'holdingPeriodSeconds'] as const) {
    if (!Number.isFinite(result[key])) refuse('exitPrice', `to give a finite ${key}`, result[key]);
  }
  return result;
}

/** The realised value a prediction of `task` that informed the trade is scored against (see the top of this file). */
export function predictionActual(task: ScoredTask, result: Pick<TradeResult, 'priceReturn'>): number {
  return task === 'binary' ? (result.priceReturn > 0 ? 1 : 0) : result.priceReturn;
}
