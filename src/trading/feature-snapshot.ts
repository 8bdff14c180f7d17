/**
 * A feature snapshot: named feature values (null = missing) as an orchestrator sends them with a
 * trade prediction or a trade execution, and as trade-log datasets store them.
 */
import { InvalidInputError } from '../lib/errors';
import { TRADE_LOG_RESERVED_COLUMNS } from '../market/trade-log-table';

export type FeatureSnapshotValues = Record<string, number | null>;

const NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_.-]{0,127}$/;
const MAX_SNAPSHOT_FEATURES = 512;

/**
 * Returns `features` when it is a snapshot: at most MAX_SNAPSHOT_FEATURES names of letters, digits,
 * _ . - (none a trade-log column name), each a finite number or null. Refuses it naming the feature.
 */
export function checkFeatureSnapshot(features: Record<string, unknown>, field = 'features'): FeatureSnapshotValues {
  const entries = Object.entries(features);
  if (entries.length > MAX_SNAPSHOT_FEATURES) {
    throw new InvalidInputError(`expects at most ${MAX_SNAPSHOT_FEATURES} features, but got ${entries.length}`, { field });
  }
  for (const [name, value] of entries) {
    if (!NAME_PATTERN.test(name) || TRADE_LOG_RESERVED_COLUMNS.includes(name)) {
      throw new InvalidInputError(
        `expects feature names of letters, digits, _ . - (starting with a letter or _) other than ${TRADE_LOG_RESERVED_COLUMNS.join(', ')}, but got ${JSON.stringify(name)}`,
        { field: `${field}.${name}` },
      );
    }
    if (value !== null && !(typeof value === 'number' && Number.isFinite(value))) {
      const got = typeof value === 'number' ? String(value) : JSON.stringify(value);
      throw new InvalidInputError(`expects feature "${name}" to be a finite number or null (missing), but got ${got}`, {
        field: `${field}.${name}`,
      });
    }
  }
  return features as FeatureSnapshotValues;
}
