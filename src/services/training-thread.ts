/**
 * Worker-thread entry: runs one `family.train` or `family.update` off the main event loop, so
 * serving stays responsive while native training blocks this thread. Speaks the messages of
 * training-runner.ts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { KybernetError } from '../lib/errors';
import type { TrainedModel } from '../plugins/contract';
import { loadFamilies } from '../plugins';
import type { TrainingRequest } from './training-runner';

const request = workerData as TrainingRequest;
const controller = new AbortController();
const port = parentPort!;

port.on('message', (message: { type: 'abort'; reason: string }) => {
  if (message.type === 'abort') controller.abort(new Error(message.reason));
});

function transferables(trained: TrainedModel): ArrayBuffer[] {
  return Object.values(trained.artifact.files).map((bytes) => bytes.buffer as ArrayBuffer);
}

async function main(): Promise<void> {
  const families = await loadFamilies(request.plugins);
  const family = families.get(request.familyId);
  const ctx = {
    signal: controller.signal,
    progress: (fraction: number, message?: string) => port.postMessage({ type: 'progress', fraction, message }),
    log: (message: string) => port.postMessage({ type: 'log', message }),
    seed: request.seed,
    threads: request.threads,
  };
  let trained: TrainedModel;
  if (request.previous) {
    if (!family.update) throw new KybernetError('BAD_USER_INPUT', `family ${family.id} cannot update a previous version`);
    trained = await family.update(request.previous, request.data, request.params, ctx);
  } else {
    trained = await family.train(request.data, request.params, ctx);
  }
  port.postMessage({ type: 'done', trained }, transferables(trained));
}

main().catch((error: unknown) => {
  const known = error instanceof KybernetError;
  port.postMessage({
    type: 'error',
    error: {
      message: error instanceof Error ? error.message : String(error),
      code: known ? error.code : undefined,
      reason: known ? error.reason : undefined,
      details: known ? error.details : undefined,
      aborted: controller.signal.aborted,
    },
  });
});
