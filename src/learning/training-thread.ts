/**
 * Worker-thread entry: runs `family.train` or `family.update` off the main event loop, so serving
 * stays responsive while native training blocks this thread. One thread runs one job at a time and
 * then waits for the next (training-runner.ts keeps it): a thread per job paid a new isolate, module
 * loading and family set-up every time (200 small XGBoost trainings from source: 147 s on fresh
 * threads, 24 s on a kept one).
 * Speaks the messages of training-runner.ts.
 */
import { parentPort } from 'node:worker_threads';
import { KybernetError } from '../lib/errors';
import type { TrainedModel } from '../plugins/contract';
import { loadFamilies, type FamilyRegistry } from '../plugins';
import type { TrainingRequest } from './training-runner';

type Inbound = { type: 'train'; request: TrainingRequest } | { type: 'abort'; reason: string };

const port = parentPort!;
const familiesByPlugins = new Map<string, Promise<FamilyRegistry>>();
let controller: AbortController | undefined;

function families(plugins: string[]): Promise<FamilyRegistry> {
  const key = plugins.join('\n');
  if (!familiesByPlugins.has(key)) familiesByPlugins.set(key, loadFamilies(plugins));
  return familiesByPlugins.get(key)!;
}

function transferables(trained: TrainedModel): ArrayBuffer[] {
  return Object.values(trained.artifact.files).map((bytes) => bytes.buffer as ArrayBuffer);
}

async function train(request: TrainingRequest, signal: AbortSignal): Promise<TrainedModel> {
  const family = (await families(request.plugins)).get(request.familyId);
  const ctx = {
    signal,
    progress: (fraction: number, message?: string) => port.postMessage({ type: 'progress', fraction, message }),
    log: (message: string) => port.postMessage({ type: 'log', message }),
    seed: request.seed,
    threads: request.threads,
  };
  if (!request.previous) return family.train(request.data, request.params, ctx);
  if (!family.update) throw new KybernetError('BAD_USER_INPUT', `family ${family.id} cannot update a previous version`);
  return family.update(request.previous, request.data, request.params, ctx);
}

async function run(request: TrainingRequest): Promise<void> {
  const jobController = new AbortController();
  controller = jobController;
  try {
    const trained = await train(request, jobController.signal);
    port.postMessage({ type: 'done', trained }, transferables(trained));
  } catch (error: unknown) {
    const known = error instanceof KybernetError;
    port.postMessage({
      type: 'error',
      error: {
        message: error instanceof Error ? error.message : String(error),
        code: known ? error.code : undefined,
        reason: known ? error.reason : undefined,
        details: known ? error.details : undefined,
        aborted: jobController.signal.aborted,
      },
    });
  } finally {
    controller = undefined;
  }
}

port.on('message', (message: Inbound) => {
  if (message.type === 'train') void run(message.request);
  else controller?.abort(new Error(message.reason));
});
