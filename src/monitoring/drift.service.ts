/**
 * Drift (ARCHITECTURE.md flow 5). A check compares the ACTIVE version's recent world with the
 * reference summary stored when it was trained — its latest `window` predictions' features and
 * outputs, and the realised values of its latest predictions with outcomes — and grades the drift by
 * the rule of monitoring/drift-assessment (KS and PSI with a multiple-testing correction, effect sizes, win
 * rate and loss against validation; severity NONE … CRITICAL).
 *
 * A sequence model (task 'forecast') is checked the same way on its forecasts: each input channel from
 * the newest row of each request's window (monitoring/forecast-drift says why not every row), its
 * forecasts' first value, the realised first step of the first target, and each forecast's mean squared
 * error over its horizon against the validation loss (no win rate).
 *
 * A check that finds drift records a `drift_events` row and appends drift.detected in one transaction,
 * then answers it (after the commit, so drift.detected precedes the jobs it causes):
 *   LOW       logged
 *   MEDIUM    PARTIAL retraining of the model
 *   HIGH      FULL retraining (every model with a retrainable ACTIVE version)
 *   CRITICAL  FULL retraining, and automatic promotion of the model stops until its ACTIVE version
 *             changes (an operator promotes or rolls back by hand): `automaticPromotionHold`.
 * Each ACTIVE version is answered at most once per response: a later check that finds drift no more
 * severe than one already answered on the same version is logged with a note (the versions retrained
 * then are still being shadow-tested). Retraining jobs are keyed by the check (the scheduled
 * DRIFT_CHECK job, or the drift event), so models drifting together in one check get one job each.
 *
 * Scheduled every policy.drift_detection.check_interval_hours: each firing queues one DRIFT_CHECK job
 * (slot singleton key), which a worker runs over every model.
 */
import type { DataSource } from 'typeorm';
import { decodeFloatArray } from '../db/float-array';
import { DriftEventEntity, type DriftCheckTrigger, type DriftResponse, type RecordedDriftSeverity } from '../entities/drift-event.entity';
import type { KybernetEvent } from '../platform/events/event-types';
import { ModelVersionEntity } from '../entities/model-version.entity';
import { RegisteredModelEntity } from '../entities/registered-model.entity';
import { KeysetPage, type Page } from '../lib/cursor';
import { assessDrift, DRIFT_SEVERITIES, type DriftAssessment, type DriftInput, type DriftSeverity, severityRank } from './drift-assessment';
import { latestObservations } from './forecast-drift';
import { ConflictError, InvalidInputError, quote } from '../lib/errors';
import { isScoredTask, type ScoredTask } from '../lib/scored-task';
import type { ReferenceSummary } from '../plugins/contract';
import { forecastValidationLoss, validationBaseline } from './outcome-scoring';
import type { EventStream } from '../platform/events/event-stream';
import type { EventsService } from '../platform/events/events.service';
import type { JobContext } from '../platform/jobs/job-worker';
import type { JobsService } from '../platform/jobs/jobs.service';
import type { PolicyService } from '../platform/policy/policy.service';
import type { RegistryService } from '../registry/registry.service';
import { forecastLossSql, joinOutcomes } from '../serving/prediction-outcomes';
import type { RetrainingService } from '../learning/retraining.service';
import type { ScheduledTask } from '../platform/schedules/scheduler';

export interface DriftCheck {
  model: RegisteredModelEntity;
  modelVersion: ModelVersionEntity;
  severity: DriftSeverity;
  reasons: string[];
  /** Recent predictions compared (0 when the check could not run). */
  windowRows: number;
  /** Recent predictions with realised values used for the performance tests. */
  outcomeRows: number;
  /** Null when there was too little to compare or no reference. */
  assessment: DriftAssessment | null;
  /** The recorded drift, when the check found some. */
  event: DriftEventEntity | null;
  checkedAt: Date;
}

/** A logged prediction (or forecast) of the version, newest first. */
interface RecentRow {
  features: Buffer;
  value: number | null;
}

/** What a check measures besides the reference and the predictions, by the version's task. */
type RecentWindow = Pick<DriftInput, 'features' | 'outcomes' | 'performance'> & {
  /** Outcomes the performance tests rest on (0 when too few). */
  outcomeRows: number;
};

export interface DriftEventFilter {
  model?: string | null;
  minSeverity?: DriftSeverity | null;
  first?: number | null;
  after?: string | null;
}

const RESPONSES: Record<RecordedDriftSeverity, DriftResponse> = {
  LOW: 'LOGGED',
  MEDIUM: 'PARTIAL_RETRAINING',
  HIGH: 'FULL_RETRAINING',
  CRITICAL: 'PROMOTION_STOPPED_FULL_RETRAINING',
};

function checkSeverity(severity: string | null | undefined, field: string): DriftSeverity {
  if (severity == null) return 'LOW';
  if (!(DRIFT_SEVERITIES as readonly string[]).includes(severity)) {
    throw new InvalidInputError(`expects ${field} to be one of ${DRIFT_SEVERITIES.join(', ')}, but got ${quote(String(severity))}`, {
      field,
    });
  }
  return severity as DriftSeverity;
}

/** `source` without the events `keep` refuses; returning it returns `source` (ending a subscription). */
function filtered<T>(source: AsyncIterableIterator<T>, keep: (item: T) => boolean): AsyncIterableIterator<T> {
  return {
    async next() {
      for (;;) {
        const result = await source.next();
        if (result.done || keep(result.value)) return result;
      }
    },
    return: (value?: unknown) => source.return?.(value) ?? Promise.resolve({ done: true, value: undefined }),
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

/**
 * Extension point: `activeIsCritical` runs when a check grades the ACTIVE version CRITICAL, before the
 * retraining is asked for (the automatic rollback, automatic-rollback.ts).
 */
export interface DriftHooks {
  activeIsCritical?(model: RegisteredModelEntity, active: ModelVersionEntity, cause: string): Promise<unknown>;
}

export class DriftService {
  private hooks: DriftHooks = {};

  constructor(
    private readonly dataSource: DataSource,
    private readonly registry: RegistryService,
    private readonly events: EventsService,
    private readonly eventStream: EventStream,
    private readonly policy: PolicyService,
    private readonly jobs: JobsService,
    private readonly retraining: Pick<RetrainingService, 'requestRetraining'>,
    private readonly log: (message: string) => void,
  ) {}

  setHooks(hooks: DriftHooks): void {
    this.hooks = hooks;
  }

  /** Checks the ACTIVE version of `modelName` now, records drift it finds and answers it. */
  async checkDrift(
    modelName: string,
    options: { trigger: DriftCheckTrigger; checkJobId?: string } = { trigger: 'MANUAL' },
  ): Promise<DriftCheck> {
    const model = await this.registry.getRegisteredModel(modelName);
    const active = await this.registry.activeVersion(model.id);
    if (!active)
      throw new ConflictError(`model "${model.name}" has no ACTIVE version; drift is measured against the ACTIVE version's training data`, {
        field: 'model',
      });
    const policy = await this.policy.document();
    const checkedAt = new Date();
    const unchecked = (reason: string, windowRows = 0): DriftCheck => ({
      model,
      modelVersion: active,
      severity: 'NONE',
      reasons: [reason],
      windowRows,
      outcomeRows: 0,
      assessment: null,
      event: null,
      checkedAt,
    });
    const task = active.signature?.task;
    if (!isScoredTask(task) && task !== 'forecast')
      return unchecked(
        `version ${active.version} is a ${task ?? 'signature-less'} model; drift is measured for regression, binary and forecast models`,
      );
    const reference = await this.referenceOf(active);
    if (!reference)
      return unchecked(`version ${active.version} has no reference summary (it was not trained here); drift cannot be measured against it`);

    const { window, min_samples: minSamples } = policy.drift_detection;
    const recent: RecentRow[] = await this.dataSource.query(
      `SELECT array_send(features) AS features, value FROM predictions WHERE model_version_id = $1 ORDER BY created_at DESC LIMIT $2`,
      [active.id, window],
    );
    if (recent.length < minSamples) {
      const requests = task === 'forecast' ? 'forecasts' : 'predictions';
      return unchecked(
        `only ${recent.length} recent ${requests} of version ${active.version}; a check needs ${minSamples} (policy drift_detection.min_samples)`,
        recent.length,
      );
    }
    const { outcomeRows, ...measured } =
      task === 'forecast'
        ? await this.recentForecasts(active, reference, recent, policy.drift_detection)
        : await this.recentPredictions(active, task, reference, recent, policy.drift_detection);
    const assessment = assessDrift(
      { reference, predictions: Float64Array.from(recent, (row) => row.value ?? NaN), ...measured },
      { ...policy.drift_detection, critical_win_rate: policy.health.critical_win_rate },
    );
    const check: DriftCheck = {
      model,
      modelVersion: active,
      severity: assessment.severity,
      reasons: assessment.reasons,
      windowRows: recent.length,
      outcomeRows,
      assessment,
      event: null,
      checkedAt,
    };
    if (assessment.severity !== 'NONE') check.event = await this.record(check, assessment, options);
    return check;
  }

  /** The scheduled check (every policy.drift_detection.check_interval_hours): one DRIFT_CHECK job per firing. */
  driftCheckTask(): ScheduledTask {
    return {
      name: 'drift_check',
      description: 'Queues a DRIFT_CHECK job that checks the ACTIVE version of every model for drift.',
      timing: (policy) => ({ everyHours: policy.drift_detection.check_interval_hours }),
      run: (slot) =>
        this.jobs.enqueue({
          kind: 'DRIFT_CHECK',
          trigger: 'SCHEDULE',
          reason: `scheduled drift check (${slot.time.toISOString()})`,
          payload: {},
          singletonKey: slot.singletonKey,
        }),
    };
  }

  /** The DRIFT_CHECK job handler: checks every model with an ACTIVE version. */
  readonly runDriftCheckJob = async (ctx: JobContext): Promise<Record<string, unknown>> => {
    const models: { name: string }[] = await this.dataSource.query(
      `SELECT m.name FROM registered_models m JOIN model_versions v ON v.registered_model_id = m.id AND v.status = 'ACTIVE' ORDER BY m.name`,
    );
    const results: { model: string; severity: DriftSeverity; driftEventId: string | null }[] = [];
    for (const [index, { name }] of models.entries()) {
      ctx.signal.throwIfAborted();
      const check = await this.checkDrift(name, { trigger: 'SCHEDULE', checkJobId: ctx.job.id });
      results.push({ model: name, severity: check.severity, driftEventId: check.event?.id ?? null });
      ctx.progress((index + 1) / models.length, `${index + 1} of ${models.length} models checked`);
    }
    return { checked: results.length, results };
  };

  async searchDriftEvents(filter: DriftEventFilter): Promise<Page<DriftEventEntity>> {
    const page = new KeysetPage<DriftEventEntity>(filter, {
      column: 'd.created_at',
      tieBreak: 'd.id',
      direction: 'DESC',
      time: (event) => event.createdAt,
    });
    const query = this.dataSource.getRepository(DriftEventEntity).createQueryBuilder('d');
    if (filter.model)
      query.andWhere('d.registered_model_id = :modelId', { modelId: (await this.registry.getRegisteredModel(filter.model)).id });
    if (filter.minSeverity) {
      const min = severityRank(checkSeverity(filter.minSeverity, 'minSeverity'));
      query.andWhere('d.severity IN (:...severities)', {
        severities: DRIFT_SEVERITIES.filter((severity) => severityRank(severity) >= min),
      });
    }
    return page.fetch(query);
  }

  /** drift.detected events of at least `minSeverity` (default LOW), live — or from `after` on. */
  subscribeDriftAlerts(args: {
    minSeverity?: string | null;
    model?: string | null;
    after?: string | null;
  }): AsyncIterableIterator<KybernetEvent> {
    const min = severityRank(checkSeverity(args.minSeverity, 'minSeverity'));
    const source = this.eventStream.subscribe({ types: ['drift.detected'], modelName: args.model ?? undefined }, args.after ?? undefined);
    return filtered(source, (event) => event.type === 'drift.detected' && severityRank(event.payload.severity) >= min);
  }

  /** PromotionGate: a CRITICAL drift of the ACTIVE version stops automatic promotion until the ACTIVE version changes. */
  async automaticPromotionHold(model: RegisteredModelEntity, active: ModelVersionEntity): Promise<string | null> {
    const critical = await this.dataSource
      .getRepository(DriftEventEntity)
      .findOne({ where: { modelVersionId: active.id, severity: 'CRITICAL' }, order: { createdAt: 'ASC' } });
    if (!critical) return null;
    return `automatic promotion of "${model.name}" is stopped by CRITICAL drift ${critical.id} of version ${active.version} (${critical.createdAt.toISOString()}); promote or roll back by hand to resume it`;
  }

  /** A regression or binary version's recent rows as assessDrift takes them: each feature by position, the outcomes scored pair by pair. */
  private async recentPredictions(
    active: ModelVersionEntity,
    task: ScoredTask,
    reference: ReferenceSummary,
    recent: readonly RecentRow[],
    { window, min_samples: minSamples }: { window: number; min_samples: number },
  ): Promise<RecentWindow> {
    const outcomes: { prediction: number; actual: number }[] = await this.dataSource.query(
      `SELECT p.value AS prediction, o.actual FROM predictions p
       ${joinOutcomes()}
       WHERE p.model_version_id = $1 AND p.value IS NOT NULL ORDER BY p.created_at DESC LIMIT $2`,
      [active.id, window],
    );
    const width = reference.features.length;
    const features = Array.from({ length: width }, () => new Float64Array(recent.length).fill(NaN));
    recent.forEach((row, r) => decodeFloatArray(row.features).forEach((value, j) => j < width && (features[j][r] = value)));
    if (outcomes.length < minSamples) return { features, outcomeRows: 0 };
    return {
      features,
      outcomes: Float64Array.from(outcomes, (row) => row.actual),
      performance: { task, outcomes: outcomes.reverse(), baseline: validationBaseline(task, active.metrics) },
      outcomeRows: outcomes.length,
    };
  }

  /**
   * A sequence version's recent forecasts as assessDrift takes them: each input channel from the newest
   * row of each request's window (monitoring/forecast-drift: why not every row), matched to the
   * reference by channel name; the outcome is the realised first step of the first target, as in the
   * reference; the loss of each forecast its mean squared error over the whole horizon.
   */
  private async recentForecasts(
    active: ModelVersionEntity,
    reference: ReferenceSummary,
    recent: readonly RecentRow[],
    { window, min_samples: minSamples }: { window: number; min_samples: number },
  ): Promise<RecentWindow> {
    const features = latestObservations(
      recent.map((row) => decodeFloatArray(row.features)),
      active.featureNames,
      reference.features.map((summary) => summary.name),
    );
    const outcomes: { actual: number; loss: number | null }[] = await this.dataSource.query(
      `SELECT o.actual, ${forecastLossSql()} AS loss FROM predictions p
       ${joinOutcomes()}
       WHERE p.model_version_id = $1 AND p.value IS NOT NULL ORDER BY p.created_at DESC LIMIT $2`,
      [active.id, window],
    );
    const losses = outcomes.flatMap((row) => (row.loss === null ? [] : [row.loss])).reverse();
    const withLosses = losses.length >= minSamples;
    return {
      features,
      outcomes: outcomes.length >= minSamples ? Float64Array.from(outcomes, (row) => row.actual) : undefined,
      performance: withLosses ? { task: 'forecast', losses, validationLoss: forecastValidationLoss(active.metrics) } : undefined,
      outcomeRows: withLosses ? losses.length : 0,
    };
  }

  private async referenceOf(version: ModelVersionEntity): Promise<ModelVersionEntity['reference']> {
    const row = await this.dataSource
      .getRepository(ModelVersionEntity)
      .createQueryBuilder('v')
      .addSelect('v.reference')
      .where('v.id = :id', { id: version.id })
      .getOneOrFail();
    return row.reference?.features?.length ? row.reference : null;
  }

  private async record(
    check: DriftCheck,
    assessment: DriftAssessment,
    options: { trigger: DriftCheckTrigger; checkJobId?: string },
  ): Promise<DriftEventEntity> {
    const severity = assessment.severity as RecordedDriftSeverity;
    const { model, modelVersion } = check;
    const answered = RESPONSES[severity] === 'LOGGED' ? null : await this.answeredBefore(modelVersion, severity);
    const event = await this.dataSource.transaction(async (tx) => {
      const saved = await tx.save(
        tx.create(DriftEventEntity, {
          registeredModelId: model.id,
          modelVersionId: modelVersion.id,
          severity,
          trigger: options.trigger,
          checkJobId: options.checkJobId ?? null,
          reasons: assessment.reasons,
          windowRows: check.windowRows,
          featureCount: assessment.featureCount,
          driftedFeatures: assessment.driftedFeatures,
          majorFeatures: assessment.majorFeatures,
          distributions: assessment.distributions,
          performance: assessment.performance,
          response: answered ? 'LOGGED' : RESPONSES[severity],
          responseNote: answered
            ? `already answered on version ${modelVersion.version} by drift event ${answered.id} (${answered.severity}, ${answered.response})`
            : null,
        }),
      );
      await this.events.append(tx, {
        type: 'drift.detected',
        modelName: model.name,
        modelVersionId: modelVersion.id,
        jobId: options.checkJobId ?? null,
        payload: {
          driftEventId: saved.id,
          model: model.name,
          version: modelVersion.version,
          severity,
          response: saved.response,
          reasons: assessment.reasons,
          featureCount: assessment.featureCount,
          driftedFeatures: assessment.driftedFeatures,
          windowRows: check.windowRows,
        },
      });
      return saved;
    });
    if (event.response === 'LOGGED') return event;
    return this.respond(event, model, modelVersion, options.checkJobId ?? event.id);
  }

  /** The earliest drift of this version at least as severe whose response queued retraining. */
  private async answeredBefore(version: ModelVersionEntity, severity: RecordedDriftSeverity): Promise<DriftEventEntity | null> {
    const atLeast = DRIFT_SEVERITIES.filter((candidate) => severityRank(candidate) >= severityRank(severity));
    return this.dataSource
      .getRepository(DriftEventEntity)
      .createQueryBuilder('d')
      .where('d.model_version_id = :id AND d.severity IN (:...atLeast) AND d.response <> :logged', {
        id: version.id,
        atLeast,
        logged: 'LOGGED',
      })
      .orderBy('d.created_at', 'ASC')
      .getOne();
  }

  private async respond(
    event: DriftEventEntity,
    model: RegisteredModelEntity,
    version: ModelVersionEntity,
    checkKey: string,
  ): Promise<DriftEventEntity> {
    const reason = `drift ${event.severity} on "${model.name}" v${version.version}: ${event.reasons[0] ?? ''}`.slice(0, 500);
    if (event.severity === 'CRITICAL')
      await this.hooks.activeIsCritical?.(model, version, `drift event ${event.id}: ${event.reasons[0] ?? ''}`);
    let jobIds: string[] = [];
    let note: string | null = null;
    try {
      const plan =
        event.response === 'PARTIAL_RETRAINING'
          ? await this.retraining.requestRetraining({
              kind: 'PARTIAL',
              models: [model.name],
              trigger: 'DRIFT',
              reason,
              singletonKey: `drift:${checkKey}:PARTIAL`,
            })
          : await this.retraining.requestRetraining({ kind: 'FULL', trigger: 'DRIFT', reason, singletonKey: `drift:${checkKey}:FULL` });
      jobIds = plan.jobs.map((job) => job.id);
      if (plan.skipped.length) note = `not retrained: ${plan.skipped.map((skip) => `${skip.model} (${skip.reason})`).join('; ')}`;
    } catch (error) {
      if (!(error instanceof InvalidInputError)) throw error;
      note = error.message;
    }
    if (note) this.log(`drift: ${reason}: ${note}`);
    await this.dataSource.getRepository(DriftEventEntity).update({ id: event.id }, { retrainingJobIds: jobIds, responseNote: note });
    return this.dataSource.getRepository(DriftEventEntity).findOneByOrFail({ id: event.id });
  }
}
