/**
 * updatePolicy refuses a bad document — a negative threshold, an unknown key, a section of the wrong
 * type, a cron expression node-cron cannot run — naming the field, and writes nothing: no policy
 * version, no policy.updated event. A good patch becomes the next version.
 */
import { CurrentPolicyDocument, UpdatePolicyPatchDocument } from '../../generated/graphql';
import { startTestApp, type TestApp } from '../../helpers/app';
import { dataOf, errorOf } from '../../helpers/graphql';

let t: TestApp;

beforeAll(async () => {
  t = await startTestApp({ worker: false });
});

afterAll(async () => {
  await t?.close();
});

async function written(): Promise<{ versions: number; events: number }> {
  const [row] = await t.dataSource.query(
    `SELECT (SELECT count(*)::int FROM policies) AS versions, (SELECT count(*)::int FROM events WHERE type = 'policy.updated') AS events`,
  );
  return row;
}

const refusals: [string, Record<string, unknown>, string, string][] = [
  [
    'a negative threshold',
    { auto_promote_threshold: { min_improvement_pct: -1 } },
    'auto_promote_threshold.min_improvement_pct',
    'policy auto_promote_threshold.min_improvement_pct: expects a number >= 0, but got -1',
  ],
  [
    'a zero drift interval',
    { drift_detection: { check_interval_hours: 0 } },
    'drift_detection.check_interval_hours',
    'policy drift_detection.check_interval_hours: expects a number > 0, but got 0',
  ],
  [
    'an unknown key in a section',
    { retraining: { retry_limt: 2 } },
    'retraining.retry_limt',
    'policy retraining.retry_limt: expects a setting of section retraining (incremental_time_limit_seconds, full_time_limit_seconds, retry_limit, tuning_scheme, tune_on_full, tuning_trials, tuning_time_limit_seconds), but got the unknown key "retry_limt"',
  ],
  ['an unknown section', { retrain: { retry_limit: 2 } }, 'retrain', 'expects a setting of the policy ('],
  ['a section that is not an object', { retraining: 5 }, 'retraining', 'policy retraining: expects an object, but got 5'],
  [
    'a number given as text',
    { retraining: { retry_limit: 'two' } },
    'retraining.retry_limit',
    'policy retraining.retry_limit: expects a number, but got "two"',
  ],
  [
    'a cron expression that cannot run',
    { schedule_interval: { full_retraining: '61 18 * * 6' } },
    'schedule_interval.full_retraining',
    'policy schedule_interval.full_retraining: expects a valid cron expression (minute hour day-of-month month day-of-week), but got "61 18 * * 6"',
  ],
  [
    'an unknown time zone',
    { timezone: 'Mars/Olympus' },
    'timezone',
    'policy timezone: expects an IANA time zone such as America/New_York, but got "Mars/Olympus"',
  ],
];

describe.each(refusals)('a policy patch with %s', (_what, patch, field, message) => {
  it('is refused with the field named, and nothing is written', async () => {
    const before = await written();
    const error = errorOf(await t.as('operator')(UpdatePolicyPatchDocument, { patch }));
    expect(error.code).toBe('BAD_USER_INPUT');
    expect(error.message).toContain(message);
    expect(error.extensions).toMatchObject({ field });
    expect(await written()).toEqual(before);
  });
});

it('takes a good patch as the next version, and still refuses a bad one after it', async () => {
  const updated = dataOf(
    await t.as('operator')(UpdatePolicyPatchDocument, {
      patch: { retraining: { retry_limit: 3 }, learning: { min_trades_for_update: 20 } },
    }),
  ).updatePolicy;
  expect(updated.version).toBe(1);
  expect(updated.document).toMatchObject({
    retraining: { retry_limit: 3, incremental_time_limit_seconds: 300, full_time_limit_seconds: 2700 },
    learning: { min_trades_for_update: 20 },
  });
  expect(await written()).toEqual({ versions: 1, events: 1 });

  errorOf(await t.as('operator')(UpdatePolicyPatchDocument, { patch: { health: { min_win_rate: 1.5 } } }));
  expect(await written()).toEqual({ versions: 1, events: 1 });
  const current = dataOf(await t.as('viewer')(CurrentPolicyDocument)).policy;
  expect(current).toEqual(updated);

  expect(errorOf(await t.as('viewer')(UpdatePolicyPatchDocument, { patch: { retraining: { retry_limit: 0 } } })).code).toBe('FORBIDDEN');
  expect(await written()).toEqual({ versions: 1, events: 1 });
});
