/**
 * Runs a family's training in a worker thread (training-thread.ts) with an AbortSignal and progress.
 * An abort is passed on to the family; a family stuck in a native call is terminated after a grace
 * period.
 */
import { extname, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { KybernetError, type ErrorCode } from '../lib/errors';
import type { ModelArtifact, TrainedModel, TrainingSet } from '../plugins/contract';

export interface TrainingRequest {
  familyId: string;
  plugins: string[];
  data: TrainingSet;
  params: unknown;
  previous?: ModelArtifact;
  seed: number;
  threads: number;
}

export interface TrainingCallbacks {
  signal: AbortSignal;
  onProgress(fraction: number, message?: string): void;
  onLog?(message: string): void;
}

export class TrainingAbortedError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'TrainingAbortedError';
  }
}

const TERMINATE_GRACE_MS = 5_000;

function threadEntry(): { file: string; execArgv: string[] } {
  const extension = extname(__filename);
  // From source (tests, `npm run bench`) the thread compiles TypeScript on load like its parent.
  const execArgv = extension === '.ts' ? ['--require', '@swc-node/register'] : [];
  return { file: resolve(__dirname, `training-thread${extension}`), execArgv };
}

function transferList(request: TrainingRequest): ArrayBuffer[] {
  const buffers: ArrayBuffer[] = [];
  if (request.data.kind === 'tabular') buffers.push(request.data.features.buffer as ArrayBuffer, request.data.target.buffer as ArrayBuffer);
  return buffers;
}

export function runTraining(request: TrainingRequest, callbacks: TrainingCallbacks): Promise<TrainedModel> {
  const { file, execArgv } = threadEntry();
  return new Promise<TrainedModel>((resolvePromise, reject) => {
    const worker = new Worker(file, { workerData: request, execArgv, transferList: transferList(request) });
    let settled = false;
    let killTimer: NodeJS.Timeout | undefined;
    const finish = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(killTimer);
      callbacks.signal.removeEventListener('abort', onAbort);
      outcome();
      void worker.terminate();
    };
    const abortReason = () => String((callbacks.signal.reason as Error)?.message ?? callbacks.signal.reason ?? 'aborted');
    const onAbort = () => {
      worker.postMessage({ type: 'abort', reason: abortReason() });
      killTimer = setTimeout(() => finish(() => reject(new TrainingAbortedError(abortReason()))), TERMINATE_GRACE_MS);
    };
    if (callbacks.signal.aborted) onAbort();
    else callbacks.signal.addEventListener('abort', onAbort, { once: true });

    worker.on('message', (message) => {
      switch (message.type) {
        case 'progress':
          callbacks.onProgress(message.fraction, message.message);
          break;
        case 'log':
          callbacks.onLog?.(message.message);
          break;
        case 'done':
          finish(() => resolvePromise(message.trained as TrainedModel));
          break;
        case 'error': {
          const { error } = message;
          if (callbacks.signal.aborted || error.aborted) finish(() => reject(new TrainingAbortedError(abortReason())));
          else if (error.code) finish(() => reject(new KybernetError(error.code as ErrorCode, error.message, error.details, error.reason)));
          else finish(() => reject(new Error(error.message)));
          break;
        }
      }
    });
    worker.on('error', (error) => finish(() => reject(error)));
    worker.on('exit', (code) => finish(() => reject(new Error(`training thread exited with code ${code} before finishing`))));
  });
}
