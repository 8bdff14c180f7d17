/**
 * PolicyService.document: the current policy's document, as every service reads the settings in force;
 * and parsePolicy's refusals, built by lib/errors `refusal`. The store itself runs on Postgres in
 * test/integration/learning/policy.test.ts.
 */
import type { DataSource, EntityManager } from 'typeorm';
import { DEFAULT_POLICY } from '../../../src/config/policy';
import { InvalidInputError } from '../../../src/lib/errors';
import type { EventsService } from '../../../src/platform/events/events.service';
import { mergePolicy, parsePolicy, PolicyService } from '../../../src/platform/policy/policy.service';

/** A manager whose policies table holds `rows` (newest last), counting the reads. */
function managerWith(rows: { version: number; document: unknown; createdAt: Date }[]): EntityManager & { reads: number } {
  const manager = {
    reads: 0,
    getRepository: () => ({
      findOne: async () => {
        manager.reads++;
        return rows.at(-1) ?? null;
      },
    }),
  };
  return manager as unknown as EntityManager & { reads: number };
}

const stored = (version: number, patch: Record<string, unknown>) => ({
  version,
  document: mergePolicy(DEFAULT_POLICY, patch),
  createdAt: new Date('2026-03-01T00:00:00.000Z'),
});

describe('PolicyService.document', () => {
  it('gives the defaults before the first update', async () => {
    const service = new PolicyService({ manager: managerWith([]) } as unknown as DataSource, {} as EventsService);
    await expect(service.document()).resolves.toEqual(DEFAULT_POLICY);
  });

  it("gives the stored version's document, read once until policy.updated", async () => {
    const rows = [stored(1, { health: { window_predictions: 250 } })];
    const manager = managerWith(rows);
    const service = new PolicyService({ manager } as unknown as DataSource, {} as EventsService);
    expect((await service.document()).health.window_predictions).toBe(250);
    expect(await service.document()).toEqual((await service.current()).document);
    expect(manager.reads).toBe(1);

    rows.push(stored(2, { health: { window_predictions: 400 } }));
    expect((await service.document()).health.window_predictions).toBe(250);
    service.onEvent({ type: 'policy.updated' } as Parameters<PolicyService['onEvent']>[0]);
    expect((await service.document()).health.window_predictions).toBe(400);
    expect(manager.reads).toBe(2);
  });

  it("reads a cold cache on the caller's transaction", async () => {
    const own = managerWith([]);
    const tx = managerWith([stored(3, { learning: { min_trades_for_update: 7 } })]);
    const service = new PolicyService({ manager: own } as unknown as DataSource, {} as EventsService);
    expect((await service.document(tx)).learning.min_trades_for_update).toBe(7);
    expect({ own: own.reads, tx: tx.reads }).toEqual({ own: 0, tx: 1 });
  });
});

describe('parsePolicy refusals', () => {
  it('says what the setting expects and what it got, naming the field', () => {
    expect.assertions(3);
    try {
      parsePolicy(mergePolicy(DEFAULT_POLICY, { drift_detection: { check_interval_hours: 0 } }));
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidInputError);
      expect((error as InvalidInputError).message).toBe('policy drift_detection.check_interval_hours: expects a number > 0, but got 0');
      expect((error as InvalidInputError).details).toEqual({ field: 'drift_detection.check_interval_hours' });
    }
  });

  it('names an unknown key and the settings its section has', () => {
    const known = Object.keys(DEFAULT_POLICY.health).join(', ');
    expect(() => parsePolicy(mergePolicy(DEFAULT_POLICY, { health: { window_predicitons: 500 } }))).toThrow(
      new InvalidInputError(
        `policy health.window_predicitons: expects a setting of section health (${known}), but got the unknown key "window_predicitons"`,
      ),
    );
  });
});
