/**
 * The orchestrator of the synthetic factor market (src/lib/synthetic-factor-market.ts) over GraphQL, as
 * the README's loop does it: one hour at a time, predict with the model (when there is one), trade the
 * sign of the prediction (long without one), close the trade an hour later.
 */
import { LogTradeExecutionDocument, LogTradeOutcomeDocument, PredictDocument } from '../generated/graphql';
import type { Role } from '../../src/entities/api-key.entity';
import { FACTOR_NAMES, type FactorHour } from '../../src/lib/synthetic-factor-market';
import type { TestApp } from './app';
import { dataOf } from './graphql';

const HOUR_MS = 3_600_000;

/** Typed requests as a role: a TestApp's `as`, or one that spreads them over replicas. */
export type RequestAs = (role: Role) => ReturnType<TestApp['as']>;

export interface FactorTrading {
  /** The market's symbol in the trade log. */
  symbol: string;
  /** Epoch milliseconds of hour 0. */
  startMs: number;
  /** Prefix of the client trade ids (the hour's index follows). */
  tradeIdPrefix: string;
}

/** Trades one hour `bar` (predicting with `model` when given); returns the prediction it traded on. */
export async function tradeFactorHour(as: RequestAs, bar: FactorHour, model: string | null, trading: FactorTrading) {
  const prediction = model ? dataOf(await as('trader')(PredictDocument, { input: { model, features: bar.features } })).predict : undefined;
  const clientTradeId = `${trading.tradeIdPrefix}-${bar.index}`;
  dataOf(
    await as('trader')(LogTradeExecutionDocument, {
      input: {
        clientTradeId,
        symbol: trading.symbol,
        side: (prediction?.value ?? 1) >= 0 ? 'LONG' : 'SHORT',
        quantity: 10,
        entryPrice: bar.entryPrice,
        entryTime: new Date(trading.startMs + bar.index * HOUR_MS).toISOString(),
        predictionIds: prediction ? [prediction.id] : [],
        features: Object.fromEntries(FACTOR_NAMES.map((name, j) => [name, bar.features[j]])),
        strategy: 'factor',
      },
    }),
  );
  dataOf(
    await as('trader')(LogTradeOutcomeDocument, {
      input: {
        clientTradeId,
        exitPrice: bar.exitPrice,
        exitTime: new Date(trading.startMs + (bar.index + 1) * HOUR_MS).toISOString(),
        exitReason: 'TIME',
      },
    }),
  );
  return prediction;
}
