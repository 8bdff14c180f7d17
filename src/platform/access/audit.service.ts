/** The audit log: every mutation by an operator or admin, with its (elided) variables and outcome. */
import type { DataSource } from 'typeorm';
import { AuditLogEntity } from '../../entities/audit-log.entity';
import { roleIncludes, type Principal } from './api-keys.service';

const MAX_STRING = 256;
const MAX_ARRAY = 32;

/** Text Postgres can store in jsonb: NUL and unpaired surrogates (a cut can make one) become U+FFFD. */
function storable(text: string): string {
  return text.replace(/\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}

/** Keeps the shape of the variables but not their bulk (file contents, rows, CSV text, huge objects). */
function elide(value: unknown, depth = 0): unknown {
  if (typeof value === 'string')
    return storable(value.length > MAX_STRING ? `${value.slice(0, MAX_STRING)}… (${value.length} chars)` : value);
  if (Array.isArray(value)) {
    const kept = value.slice(0, MAX_ARRAY).map((item) => elide(item, depth + 1));
    return value.length > MAX_ARRAY ? [...kept, `… (${value.length} items)`] : kept;
  }
  if (value && typeof value === 'object') {
    if (depth > 6) return '…';
    const kept: Record<string, unknown> = {};
    let keys = 0;
    for (const key in value) {
      if (!Object.hasOwn(value, key)) continue;
      if (++keys > MAX_ARRAY) {
        kept['…'] = 'more keys';
        break;
      }
      kept[storable(key.slice(0, MAX_STRING))] = elide((value as Record<string, unknown>)[key], depth + 1);
    }
    return kept;
  }
  return value;
}

export class AuditService {
  constructor(private readonly dataSource: DataSource) {}

  /** Whether mutations by `principal` are audited. */
  audits(principal: Principal): boolean {
    return roleIncludes(principal.role, 'operator');
  }

  async record(principal: Principal, operation: string, variables: Record<string, unknown>, outcome: string): Promise<void> {
    await this.dataSource.query('INSERT INTO audit_log (api_key_id, role, operation, variables, outcome) VALUES ($1, $2, $3, $4, $5)', [
      principal.keyId,
      principal.role,
      operation,
      JSON.stringify(elide(variables)),
      outcome,
    ]);
  }

  list(limit = 100): Promise<AuditLogEntity[]> {
    return this.dataSource.getRepository(AuditLogEntity).find({ order: { id: 'DESC' }, take: Math.min(limit, 1000) });
  }
}
