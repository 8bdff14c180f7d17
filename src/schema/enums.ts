import { registerEnumType } from 'type-graphql';
import { ROLES } from '../entities/api-key.entity';
import { JOB_KINDS, JOB_STATUSES, JOB_TRIGGERS } from '../entities/job.entity';
import { LEARNING_KINDS } from '../entities/learning-event.entity';
import { MODEL_VERSION_SOURCES, MODEL_VERSION_STATUSES } from '../entities/model-version.entity';
import { COLUMN_TYPE_NAMES } from '../lib/dataset-table';

/** A GraphQL enum named in upper case whose internal values are the given strings (as stored). */
function enumOf<T extends string>(values: readonly T[], name: string, description: string): Record<Uppercase<T>, T> {
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
export const ColumnTypeEnum = enumOf(COLUMN_TYPE_NAMES, 'ColumnType', 'The type of a dataset column; timestamps are ISO-8601 text or epoch milliseconds.');
export const FamilyKindEnum = enumOf(['tabular', 'sequence', 'policy'] as const, 'FamilyKind', 'What a model family learns from.');
