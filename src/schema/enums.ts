import { registerEnumType } from 'type-graphql';
import { ROLES } from '../entities/api-key.entity';
import { JOB_KINDS, JOB_STATUSES, JOB_TRIGGERS } from '../entities/job.entity';
import { LEARNING_KINDS } from '../entities/learning-event.entity';
import { MODEL_VERSION_SOURCES, MODEL_VERSION_STATUSES } from '../entities/model-version.entity';
import { OUTCOME_SOURCES } from '../entities/request-outcome.entity';
import { TRADE_STATUSES } from '../entities/trade.entity';
import { DRIFT_RESPONSES } from '../entities/drift-event.entity';
import { COLUMN_TYPE_NAMES } from '../lib/dataset-table';
import { LABEL_KINDS, MARKET_REGIMES, STRATEGIES } from '../lib/market-vocabulary';
import { TRADE_SIDES } from '../lib/trade-math';

/** A GraphQL enum named in upper case whose internal values are the given strings (as stored). */
export function enumOf<T extends string>(values: readonly T[], name: string, description: string): Record<Uppercase<T>, T> {
  const enumObject = Object.fromEntries(values.map((value) => [value.toUpperCase(), value])) as Record<Uppercase<T>, T>;
  registerEnumType(enumObject, { name, description });
  return enumObject;
}

export const ModelVersionStatusEnum = enumOf(MODEL_VERSION_STATUSES, 'ModelVersionStatus', 'Where a version is in its lifecycle.');
export const ModelVersionSourceEnum = enumOf(MODEL_VERSION_SOURCES, 'ModelVersionSource', 'How a version came to be.');
export const JobKindEnum = enumOf(JOB_KINDS, 'JobKind', 'What a job does.');
export const JobStatusEnum = enumOf(JOB_STATUSES, 'JobStatus', 'Where a job is.');
export const JobTriggerEnum = enumOf(JOB_TRIGGERS, 'JobTrigger', 'What queued a job.');
export const RetrainingKindEnum = enumOf(
  LEARNING_KINDS,
  'RetrainingKind',
  'FULL: every model with a retrainable ACTIVE version (or the named ones) on fresh data; PARTIAL: the named models, the same way; INCREMENTAL: update from the ACTIVE version on the rows since its data ended.',
);
export const RoleEnum = enumOf(
  ROLES,
  'Role',
  'VIEWER: queries and subscriptions; TRADER: predictions, trade logging, RL decisions; OPERATOR: training, promotion, policy, datasets; ADMIN: keys. Each includes the ones before it.',
);
export const ColumnTypeEnum = enumOf(
  COLUMN_TYPE_NAMES,
  'ColumnType',
  'The type of a dataset column; timestamps are ISO-8601 text or epoch milliseconds.',
);
export const FamilyKindEnum = enumOf(['tabular', 'sequence', 'policy'] as const, 'FamilyKind', 'What a model family learns from.');
export const TradeSideEnum = enumOf(TRADE_SIDES, 'TradeSide', 'LONG profits when the price rises, SHORT when it falls.');
export const TradeStatusEnum = enumOf(TRADE_STATUSES, 'TradeStatus', 'OPEN after logTradeExecution, CLOSED after logTradeOutcome.');
export const OutcomeSourceEnum = enumOf(
  OUTCOME_SOURCES,
  'OutcomeSource',
  "TRADE: realised by a closed trade; RECORDED: sent with recordOutcome; SERIES: a forecast's realised rows, filled in from the bars ingested after its asOf.",
);
export const PredictionRoleEnum = enumOf(
  ['ACTIVE', 'SHADOW'] as const,
  'PredictionRole',
  'Whether the version answered the request (ACTIVE) or scored it alongside (SHADOW).',
);
export const MarketRegimeEnum = enumOf(
  MARKET_REGIMES,
  'MarketRegime',
  'The market regime vocabulary shared by the allocation rule and the RL agents.',
);
export const StrategyEnum = enumOf(
  STRATEGIES,
  'Strategy',
  'The trading strategies the allocation rule and the RL meta-strategy agent weigh.',
);
export const LabelKindEnum = enumOf(
  LABEL_KINDS,
  'LabelKind',
  'FORWARD_RETURN: close[t+h] / close[t] − 1; DIRECTION: 1 when that return is > 0, else 0.',
);
export const DecisionSourceKindEnum = enumOf(
  ['RULE', 'MODEL'] as const,
  'DecisionSourceKind',
  'Whether a documented rule or a model version answered.',
);
export const SignalDirectionEnum = enumOf(['LONG', 'SHORT', 'FLAT'] as const, 'SignalDirection', 'The side the combined forecast favours.');
export const DriftResponseEnum = enumOf(
  DRIFT_RESPONSES,
  'DriftResponse',
  'What a drift event set in motion: LOW is logged, MEDIUM a partial retraining, HIGH a full one, CRITICAL a full one with automatic promotion stopped.',
);
