/**
 * The job contracts of platform/jobs: each kind's payload schema (what enqueue writes and the handler
 * gets) and each kind's limits (job-limits.ts), the scheduled sweeps' independent of the trainings'.
 */
import { DEFAULT_POLICY } from '../../../src/config/policy';
import { JOB_KINDS } from '../../../src/entities/job.entity';
import { jobLimits, SWEEP_TIME_LIMIT_SECONDS } from '../../../src/platform/jobs/job-limits';
import { JOB_PAYLOADS, parseJobPayload } from '../../../src/platform/jobs/job-payloads';

it('has a payload schema and limits for every job kind', () => {
  expect(Object.keys(JOB_PAYLOADS).sort()).toEqual([...JOB_KINDS].sort());
  for (const kind of JOB_KINDS)
    expect(jobLimits(kind, DEFAULT_POLICY)).toEqual({
      timeLimitSeconds: expect.any(Number),
      retryLimit: DEFAULT_POLICY.retraining.retry_limit,
    });
});

it('takes the trainings’ time limits from the policy and gives the sweeps their own', () => {
  const policy = {
    retraining: { ...DEFAULT_POLICY.retraining, full_time_limit_seconds: 5, incremental_time_limit_seconds: 2, retry_limit: 3 },
  };
  const limits = Object.fromEntries(JOB_KINDS.map((kind) => [kind, jobLimits(kind, policy).timeLimitSeconds]));
  expect(limits).toEqual({ TRAIN: 5, FULL: 5, PARTIAL: 5, TUNING: 5, EVALUATE: 5, INCREMENTAL: 2, ...SWEEP_TIME_LIMIT_SECONDS });
  expect(SWEEP_TIME_LIMIT_SECONDS).toEqual({ DRIFT_CHECK: 900, ARCHIVE: 3600, RL_MAINTENANCE: 300 });
});

it('parses a payload with its defaults, drops keys no handler reads, and says where one does not parse', () => {
  const train = { model: 'm', datasetId: 'd', targetColumn: 'y', featureColumns: ['f0'], orderColumn: 't', hyperparameters: {} };
  expect(parseJobPayload('TRAIN', { ...train, timeLimitSeconds: 300 })).toEqual({
    ok: true,
    payload: { ...train, activate: false, description: '' },
  });
  expect(parseJobPayload('INCREMENTAL', { model: 'm', learningCycle: 3, tradesWithModel: 10 })).toEqual({
    ok: true,
    payload: { model: 'm' },
  });
  expect(parseJobPayload('TUNING', { model: 'm', trials: 101, seed: 0 })).toMatchObject({
    ok: false,
    field: 'payload.trials',
    problem: expect.stringMatching(/^the payload of a TUNING job does not parse: payload\.trials: /),
  });
  expect(parseJobPayload('ARCHIVE', null)).toMatchObject({ ok: false, field: 'payload' });
});
