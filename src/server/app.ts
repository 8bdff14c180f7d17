/**
 * The composition root: builds every service of a process from the config and an open database,
 * wires their hooks and event listeners, and tears them down in reverse.
 */
import type { DataSource } from 'typeorm';
import type { Config } from '../config/env';
import { loadFamilies } from '../plugins';
import { ApiKeysService } from '../services/api-keys.service';
import { AuditService } from '../services/audit.service';
import type { Services } from '../services/container';
import { DatasetsService } from '../services/datasets.service';
import { EvaluationService } from '../services/evaluation.service';
import { EventStream } from '../services/event-stream';
import { EventsService } from '../services/events.service';
import { createJobQueue, type JobQueue } from '../services/job-queue';
import { JobWorker } from '../services/job-worker';
import { JobsService } from '../services/jobs.service';
import { LifecycleService } from '../services/lifecycle.service';
import { PolicyService } from '../services/policy.service';
import { RegistryService } from '../services/registry.service';
import { ServingService } from '../services/serving.service';
import { TrainingService } from '../services/training.service';
import { createArtifactStore } from '../storage/artifact-store';

export interface App {
  services: Services;
  queue: JobQueue;
  worker?: JobWorker;
  close(): Promise<void>;
}

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
  const eventStream = new EventStream(events, (error) => log(`event stream: ${(error as Error).message}`));
  const registry = new RegistryService(dataSource, store, families, events);
  const lifecycle = new LifecycleService(dataSource, registry, events);
  const serving = new ServingService(dataSource, registry, families, {
    batchWindowMs: config.env.KYBERNET_BATCH_WINDOW_MS,
    batchMaxRows: config.env.KYBERNET_BATCH_MAX_ROWS,
    log,
  });
  lifecycle.setHooks({
    versionWillActivate: async (version) => {
      // Re-read and check every file even when serving already holds a session for this version.
      await registry.loadArtifact(version);
      await serving.prepareVersion(version);
    },
    versionsDidChange: (modelName) => serving.refresh(modelName),
  });
  const datasets = new DatasetsService(dataSource, store);
  const queue = await createJobQueue(databaseUrl, (error) => log(`queue: ${error.message}`));
  const jobs = new JobsService(dataSource, events, queue);
  const policy = new PolicyService(dataSource, events);
  const training = new TrainingService(dataSource, registry, lifecycle, datasets, jobs, families, policy, {
    threads: config.env.KYBERNET_TRAIN_THREADS,
    plugins: config.plugins,
  });
  const services: Services = {
    dataSource,
    store,
    families,
    events,
    eventStream,
    apiKeys: new ApiKeysService(dataSource),
    audit: new AuditService(dataSource),
    registry,
    lifecycle,
    serving,
    datasets,
    jobs,
    training,
    evaluation: new EvaluationService(registry, datasets, serving),
    policy,
  };

  await eventStream.start();
  const stopListeners = [eventStream.onEvent(serving.onEvent), eventStream.onEvent(services.policy.onEvent)];

  let worker: JobWorker | undefined;
  if (options.worker) {
    worker = new JobWorker(dataSource, events, queue, { jobWillRetry: (job) => training.failOrphanedVersions(job) }, log);
    worker.register('TRAIN', training.runTrainJob);
    await worker.start(options.workerConcurrency ?? 1);
  }

  return {
    services,
    queue,
    worker,
    async close() {
      for (const stop of stopListeners) stop();
      if (worker) await worker.stop();
      else await queue.stop();
      await eventStream.stop();
      await serving.close();
    },
  };
}
