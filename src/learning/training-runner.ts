/**
 * Runs a family's training in a worker thread (training-thread.ts) with an AbortSignal and progress.
 * An abort is passed on to the family; a family stuck in a native call is terminated after a grace
 * period. Threads are kept between jobs (see idleThreads).
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

type ThreadMessage =
  | { type: 'progress'; fraction: number; message?: string }
  | { type: 'log'; message: string }
  | { type: 'done'; trained: TrainedModel }
  | { type: 'error'; error: { message: string; code?: string; reason?: string; details?: Record<string, unknown>; aborted: boolean } };

function threadEntry(): { file: string; execArgv: string[] } {
  const extension = extname(__filename);
  // From source (tests, `npm run bench`) the thread compiles TypeScript on load like its parent.
  const execArgv = extension === '.ts' ? ['--require', '@swc-node/register'] : [];
  return { file: resolve(__dirname, `training-thread${extension}`), execArgv };
}

function transferList(request: TrainingRequest): ArrayBuffer[] {
  const buffers: ArrayBuffer[] = [];
  if (request.data.kind === 'tabular') buffers.push(request.data.features.buffer as ArrayBuffer, request.data.target.buffer as ArrayBuffer);
  if (request.data.kind === 'sequence')
    buffers.push(request.data.values.buffer as ArrayBuffer, request.data.timestamps.buffer as ArrayBuffer);
  return buffers;
}

/**
 * Threads that finished a job and wait for the next, at most MAX_IDLE_THREADS of them (a worker runs
 * one or two trainings at once). Idle threads are unref'd, so they never keep a process from exiting.
 */
const idleThreads: Worker[] = [];
const MAX_IDLE_THREADS = 2;

function takeThread(): Worker {
  const kept = idleThreads.pop();
  if (kept) {
    kept.ref();
    return kept;
  }
  const { file, execArgv } = threadEntry();
  const worker = new Worker(file, { execArgv });
  // A kept thread that dies while idle is simply forgotten.
  worker.on('exit', () => forget(worker));
  worker.on('error', () => forget(worker));
  return worker;
}

function forget(worker: Worker): void {
  const index = idleThreads.indexOf(worker);
  if (index >= 0) idleThreads.splice(index, 1);
}

function keepOrEnd(worker: Worker): void {
  if (idleThreads.length >= MAX_IDLE_THREADS) {
    void worker.terminate();
    return;
  }
  worker.unref();
  idleThreads.push(worker);
}

export function runTraining(request: TrainingRequest, callbacks: TrainingCallbacks): Promise<TrainedModel> {
  const worker = takeThread();
  return new Promise<TrainedModel>((resolvePromise, reject) => {
    let settled = false;
    let killTimer: NodeJS.Timeout | undefined;
    /** Settles once; the thread goes back to the idle ones only after a job it finished itself. */
    const finish = (outcome: () => void, threadIsReusable: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(killTimer);
      callbacks.signal.removeEventListener('abort', onAbort);
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
      outcome();
      if (threadIsReusable) keepOrEnd(worker);
      else void worker.terminate();
    };
    const abortReason = () => String((callbacks.signal.reason as Error)?.message ?? callbacks.signal.reason ?? 'aborted');
    const onAbort = () => {
      worker.postMessage({ type: 'abort', reason: abortReason() });
      // A family stuck in a native call never answers the abort: its thread is ended, not kept.
      killTimer = setTimeout(() => finish(() => reject(new TrainingAbortedError(abortReason())), false), TERMINATE_GRACE_MS);
    };
    const onMessage = (message: ThreadMessage) => {
      switch (message.type) {
        case 'progress':
          callbacks.onProgress(message.fraction, message.message);
          break;
        case 'log':
          callbacks.onLog?.(message.message);
          break;
        case 'done':
          finish(() => resolvePromise(message.trained), true);
          break;
        case 'error': {
          const { error } = message;
          if (callbacks.signal.aborted || error.aborted) finish(() => reject(new TrainingAbortedError(abortReason())), true);
          else if (error.code)
            finish(() => reject(new KybernetError(error.code as ErrorCode, error.message, error.details, error.reason)), true);
          else finish(() => reject(new Error(error.message)), true);
          break;
        }
      }
    };
    const onError = (error: Error) => finish(() => reject(error), false);
    const onExit = (code: number) => finish(() => reject(new Error(`training thread exited with code ${code} before finishing`)), false);
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
    worker.postMessage({ type: 'train', request }, transferList(request));
    if (callbacks.signal.aborted) onAbort();
    else callbacks.signal.addEventListener('abort', onAbort, { once: true });
  });
}
