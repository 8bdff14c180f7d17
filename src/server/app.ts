/**
 * The composition root: builds every service of a process from the config and an open database,
 * wires their hooks and event listeners, and tears them down in reverse.
 */
import type { DataSource } from 'typeorm';
import type { Config } from '../config/env';
import { loadFamilies } from '../plugins';
import { ApiKeysService } from '../platform/access/api-keys.service';
import { BarsService } from '../market/bars.service';
import { DecisionService } from '../trading/decision.service';
import { FeaturesService } from '../market/features.service';
import { LearningTriggerService } from '../trading/learning-trigger.service';
import { OutcomesService } from '../trading/outcomes.service';
import { ForecastOutcomesService } from '../trading/forecast-outcomes.service';
import { TuningService } from '../learning/tuning.service';
import { RlMaintenance } from '../rl/maintenance';
import { TradesService } from '../trading/trades.service';
import { AuditService } from '../platform/access/audit.service';
import type { Services } from './container';
import { DatasetsService } from '../registry/datasets.service';
import { ComparisonService } from '../serving/comparison.service';
import { PgListener } from '../db/listener';
import { EventStream } from '../platform/events/event-stream';
import { EventsService } from '../platform/events/events.service';
import { createJobQueue, type JobQueue } from '../platform/jobs/job-queue';
import { JobWorker } from '../platform/jobs/job-worker';
import { JobsService } from '../platform/jobs/jobs.service';
import { LifecycleService } from '../registry/lifecycle.service';
import { PolicyService } from '../platform/policy/policy.service';
import { RegistryService } from '../registry/registry.service';
import { ServingService } from '../serving/serving.service';
import { TrainingService } from '../learning/training.service';
import { ArchiveService } from '../registry/archive.service';
import { JobReaper } from '../platform/jobs/job-reaper';
import { RetrainingService } from '../learning/retraining.service';
import { LearningSwitchService } from '../learning/learning-switch.service';
import { Scheduler } from '../platform/schedules/scheduler';
import { DriftService } from '../monitoring/drift.service';
import { HealthService } from '../monitoring/health.service';
import { OutcomeNotifications } from '../trading/outcome-notifications';
import { ShadowService } from '../monitoring/shadow.service';
import { EvaluationService } from '../monitoring/evaluation.service';
import { GateService } from '../monitoring/gate.service';
import { AutomaticRollback } from '../monitoring/automatic-rollback';
import { passedGateAgainst } from '../monitoring/promotion-gate';
import { ShadowScoringService } from '../monitoring/shadow-scoring.service';
import { RlAgentsService } from '../rl/agents.service';
import { RlDecisionAgents } from '../rl/decision-agents';
import { RlLiveAgents } from '../rl/live-agents';
import { RlSnapshots } from '../rl/snapshots';
import type { JobEntity } from '../entities/job.entity';
import type { ModelVersionEntity } from '../entities/model-version.entity';
import type { RegisteredModelEntity } from '../entities/registered-model.entity';
import { createArtifactStore } from '../storage/artifact-store';
import type { ShutdownStep } from './shutdown';

export interface App {
  services: Services;
  queue: JobQueue;
  worker?: JobWorker;
  /** Scores SHADOW versions from the predictions log (policy.shadow_scoring.where = 'workers'); where jobs are worked. */
  shadowScoring?: ShadowScoringService;
  reaper: JobReaper;
  /**
   * Tears the services down in reverse, each part a named step (for a shutdown that must say what
   * hangs); running jobs get `jobGraceMs` to finish before they are queued again (default: all they need).
   */
  close(step?: ShutdownStep, options?: { jobGraceMs?: number }): Promise<void>;
}

const unnamed: ShutdownStep = (_name, run) => run();

export interface AppOptions {
  /** Work jobs from the queue in this process. */
  worker: boolean;
  workerConcurrency?: number;
  log?: (message: string) => void;
}

export async function createApp(config: Config, dataSource: DataSource, databaseUrl: string, options: AppOptions): Promise<App> {
  const log = options.log ?? ((message: string) => console.log(message));
  const families = await loadFamilies(config.plugins);
  const store = createArtifactStore(config.store);
  const events = new EventsService(dataSource);
  // One LISTEN connection per process for events, outcome notifications and key changes; it reconnects by itself.
  const listener = new PgListener(databaseUrl, { onError: (error) => log(`listener: ${(error as Error).message}`) });
  const eventStream = new EventStream(events, listener, (error) => log(`event stream: ${(error as Error).message}`));
  const registry = new RegistryService(dataSource, store, families, events);
  const lifecycle = new LifecycleService(dataSource, registry, events);
  const policy = new PolicyService(dataSource, events);
  const serving = new ServingService(dataSource, registry, families, {
    batchWindowMs: config.env.KYBERNET_BATCH_WINDOW_MS,
    batchMaxRows: config.env.KYBERNET_BATCH_MAX_ROWS,
    policy: () => policy.document(),
    log,
  });
  const datasets = new DatasetsService(dataSource, store);
  const queue = await createJobQueue(databaseUrl, (error) => log(`queue: ${error.message}`));
  const jobs = new JobsService(dataSource, events, queue, policy);
  const training = new TrainingService(dataSource, registry, lifecycle, datasets, jobs, families, {
    threads: config.env.KYBERNET_TRAIN_THREADS,
    plugins: config.plugins,
  });
  // The gate before SHADOW: a candidate that is not better than the ACTIVE version on its held-out rows is REJECTED;
  // one that passes may supersede older shadows (policy shadow_testing).
  const gate = new GateService(registry, datasets, families, policy);
  training.setHooks({ candidateWillRegister: (candidate) => gate.admit(candidate) });
  lifecycle.setHooks({
    versionWillActivate: async (version) => {
      // Re-read and check every file even when serving already holds a session for this version.
      await registry.loadArtifact(version);
      await serving.prepareVersion(version);
    },
    versionsDidChange: (modelName) => serving.refresh(modelName),
    importWillRegister: (candidate) => gate.judgeImport(candidate),
  });

  // The kill switch and circuit breaker of automatic learning: retraining requests, the trade trigger and the shadow tester ask it.
  const learningSwitch = new LearningSwitchService(dataSource, registry, events, policy);
  const retraining = new RetrainingService(dataSource, registry, datasets, jobs, training, families, learningSwitch);
  const tuning = new TuningService(dataSource, registry, datasets, jobs, training, retraining, families, policy);
  retraining.setFullTuner(tuning);
  const archive = new ArchiveService(dataSource, store, events, jobs);
  const scheduler = new Scheduler(policy, log);
  const bars = new BarsService(dataSource);
  const features = new FeaturesService(dataSource, bars, datasets);
  retraining.addMaterializer(features);
  const outcomes = new OutcomesService(dataSource, registry);
  // Forecasts of models trained on SERIES datasets get their outcomes from the bars ingested after their asOf.
  const forecastOutcomes = new ForecastOutcomesService(dataSource, bars, log);
  serving.setHooks({ forecastsDidLog: (version, forecasts) => forecastOutcomes.track(version, forecasts) });
  bars.setHooks({
    barsDidCommit: (series) =>
      forecastOutcomes.fill(series).then(
        () => undefined,
        (error) => log(`forecast outcomes: filling from the ingested bars failed: ${(error as Error).message}`),
      ),
  });
  const learningTrigger = new LearningTriggerService(dataSource, events, jobs, policy, learningSwitch);
  const trades = new TradesService(dataSource, outcomes, learningTrigger, log);
  const decision = new DecisionService(registry, serving, features, policy, datasets);
  const rlSnapshots = new RlSnapshots(dataSource, registry, events, log);
  const rlAgents = new RlAgentsService(
    dataSource,
    registry,
    lifecycle,
    events,
    policy,
    new RlLiveAgents(dataSource, registry),
    rlSnapshots,
    log,
  );
  const rlMaintenance = new RlMaintenance(rlSnapshots, jobs);
  decision.setAgents(new RlDecisionAgents(dataSource, rlAgents));
  trades.setHooks({
    tradeOutcomeWillCommit: (trade, tx) => rlAgents.learnFromTrade(trade, tx),
    tradeOutcomeDidRecord: (trade) => rlAgents.registerSnapshotsOf(trade),
  });
  scheduler.register(retraining.fullRetrainingTask());
  scheduler.register(archive.archiveTask());
  scheduler.register(rlMaintenance.maintenanceTask());
  const drift = new DriftService(dataSource, registry, events, eventStream, policy, jobs, retraining, log);
  // Automatic promotion is held while learning is paused (for every model, or for this one), and after a
  // CRITICAL drift — except for a shadow the gate before SHADOW showed better than this ACTIVE version.
  const promotionGate = {
    automaticPromotionHold: async (model: RegisteredModelEntity, active: ModelVersionEntity, shadow: ModelVersionEntity) =>
      (await learningSwitch.promotionHold(model.id)) ??
      (passedGateAgainst(shadow, active) ? null : drift.automaticPromotionHold(model, active)),
  };
  const shadow = new ShadowService(dataSource, registry, lifecycle, events, policy, promotionGate, log);
  const health = new HealthService(dataSource, registry, events, policy, retraining, log);
  const rollback = new AutomaticRollback(dataSource, registry, lifecycle, families, policy, health, learningSwitch, log);
  health.setHooks({ activeIsCritical: (model, active, cause) => rollback.afterCritical(model, active, cause) });
  drift.setHooks({ activeIsCritical: (model, active, cause) => rollback.afterCritical(model, active, cause) });
  const outcomeNotifications = new OutcomeNotifications(dataSource, listener, (error) =>
    log(`outcome notifications: ${(error as Error).message}`),
  );
  scheduler.register(drift.driftCheckTask());
  scheduler.register(health.healthCheckTask());
  const services: Services = {
    dataSource,
    store,
    families,
    events,
    eventStream,
    apiKeys: new ApiKeysService(dataSource, listener, log),
    audit: new AuditService(dataSource),
    registry,
    lifecycle,
    serving,
    datasets,
    jobs,
    training,
    comparison: new ComparisonService(registry, datasets, serving),
    evaluation: new EvaluationService(registry, datasets, jobs, families),
    policy,
    retraining,
    learningSwitch,
    tuning,
    archive,
    scheduler,
    bars,
    features,
    outcomes,
    learningTrigger,
    trades,
    decision,
    drift,
    shadow,
    health,
    rlAgents,
  };

  await eventStream.start();
  // The policy listener first: it forgets the cached policy that serving and the scheduler then re-read.
  const stopListeners = [
    eventStream.onEvent(services.policy.onEvent),
    eventStream.onEvent(serving.onEvent),
    eventStream.onEvent(scheduler.onEvent),
  ];
  outcomeNotifications.start();
  stopListeners.push(
    eventStream.onEvent(shadow.onEvent),
    outcomeNotifications.onOutcomes(shadow.onOutcomes),
    outcomeNotifications.onOutcomes(health.onOutcomes),
  );
  await listener.start();

  const jobHooks = {
    jobAttemptWasLost: (job: JobEntity) => training.failOrphanedVersions(job),
    // The circuit breaker counts each model's failed retraining jobs in the transaction recording the end.
    jobDidEnd: learningSwitch.recordJobEnd,
  };
  const reaper = new JobReaper(dataSource, events, queue, jobHooks, {
    staleSeconds: config.env.KYBERNET_JOB_STALE_SECONDS,
    intervalSeconds: config.env.KYBERNET_JOB_REAPER_SECONDS,
    log,
  });
  reaper.start();
  let worker: JobWorker | undefined;
  let shadowScoring: ShadowScoringService | undefined;
  if (options.worker) {
    // Where jobs are worked, shadows are scored from the predictions log when the policy says 'workers'.
    shadowScoring = new ShadowScoringService(dataSource, registry, families, { policy: () => policy.document(), log });
    // Shadow rows of requests whose outcomes are in: new pairs for the shadow tester, as new outcomes would be.
    shadowScoring.setHooks({ shadowPredictionsDidCommit: (registeredModelId) => shadow.onOutcomes(registeredModelId) });
    shadowScoring.start();
    worker = new JobWorker(dataSource, events, queue, jobHooks, { heartbeatSeconds: config.env.KYBERNET_JOB_HEARTBEAT_SECONDS, log });
    worker.register('TRAIN', training.runTrainJob);
    for (const kind of ['FULL', 'PARTIAL', 'INCREMENTAL'] as const) worker.register(kind, retraining.runRetrainingJob);
    worker.register('TUNING', tuning.runTuningJob);
    worker.register('RL_MAINTENANCE', rlMaintenance.runMaintenanceJob);
    worker.register('ARCHIVE', archive.runArchiveJob);
    worker.register('DRIFT_CHECK', drift.runDriftCheckJob);
    worker.register('EVALUATE', services.evaluation.runEvaluationJob);
    await worker.start(options.workerConcurrency ?? 1);
  }
  if (config.env.KYBERNET_SCHEDULER) await scheduler.start();

  return {
    services,
    queue,
    worker,
    shadowScoring,
    reaper,
    async close(step = unnamed, closeOptions = {}) {
      await step('the schedules and the job reaper', async () => {
        for (const stop of stopListeners) stop();
        await scheduler.stop();
        await reaper.stop();
      });
      if (shadowScoring) await step('shadow scoring (its batch in hand)', () => shadowScoring.stop());
      if (worker) await step('the job worker (running jobs)', () => worker.stop(closeOptions.jobGraceMs));
      else await step('the job queue', () => queue.stop());
      await step('shadow verdicts and health checks', async () => {
        outcomeNotifications.stop();
        await shadow.close();
        await health.close();
      });
      await step('the event stream and its LISTEN connection', async () => {
        await eventStream.stop();
        await listener.stop();
      });
      await step('the model sessions', () => serving.close());
    },
  };
}
