/**
 * Drives engine.py (PyTorch) in a child process: writes the series and the spec into a temporary
 * directory, reads the child's epoch lines into the job's progress and log, and reads back what it
 * wrote. An abort (cancelJob, a time limit) kills the child at once; a child that dies fails the
 * training with its own last error lines. The directory is removed whatever happens.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { TrainContext } from '../../contract';
import { pythonExecutable } from './python';
import type { ChannelScaling } from './scaling';
import type { SequenceSplits } from './windows';

export interface EngineRun {
  /** Path of the family's network module (its `build`). */
  network: string;
  /** The family's parsed hyperparameters, handed to `build`. */
  config: Record<string, unknown>;
  /** steps × channels, row-major, original scale: the input channels only, in their order. */
  series: Float32Array;
  steps: number;
  channels: number;
  targetIndexes: number[];
  inputLength: number;
  horizon: number;
  scaling: ChannelScaling;
  splits: SequenceSplits;
  maxEpochs: number;
  batchSize: number;
  learningRate: number;
  patience: number;
  loss: 'mse' | 'mae';
  seed: number;
  /** A previous version's state dict to start from (an incremental update). */
  initialWeights?: Uint8Array;
  /** Held-out windows whose torch forecasts are kept for the ONNX comparison. */
  checkWindows: number;
}

export interface EngineSummary {
  epochs_run: number;
  best_epoch: number;
  best_loss: number;
  check_windows: number;
  training_seconds: number;
  windows_per_second: number;
  threads: number;
}

export interface EngineResult {
  weights: Uint8Array;
  onnx: Uint8Array;
  /** [n, L, C] and torch's [n, H, K] forecasts of them. */
  checkInput: Float32Array;
  checkOutput: Float32Array;
  /** Forecasts of every validation and test window, [N, H, K], original scale. */
  validationForecast: Float32Array;
  testForecast: Float32Array;
  summary: EngineSummary;
}

interface EpochLine {
  type: 'epoch';
  epoch: number;
  max_epochs: number;
  train_loss: number;
  validation_loss: number | null;
  seconds: number;
}

type EngineLine = EpochLine | ({ type: 'done' } & EngineSummary) | { type: 'error'; message: string };

const ENGINE_SCRIPT = resolve(__dirname, 'engine.py');
const STDERR_LINES_KEPT = 20;

/** An error line without the paths of this server (a traceback names our files). */
function withoutPaths(line: string): string {
  return line.replace(/(?:\/[\w.+-]+)+\/([\w.+-]+)/g, '$1');
}

function asFloat32(bytes: Buffer): Float32Array {
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

function spec(run: EngineRun, directory: string, threads: number): Record<string, unknown> {
  return {
    threads,
    network: run.network,
    config: run.config,
    steps: run.steps,
    channels: run.channels,
    target_indexes: run.targetIndexes,
    input_length: run.inputLength,
    horizon: run.horizon,
    mean: run.scaling.mean,
    std: run.scaling.std,
    splits: run.splits,
    max_epochs: run.maxEpochs,
    batch_size: run.batchSize,
    learning_rate: run.learningRate,
    patience: run.patience,
    loss: run.loss,
    seed: run.seed,
    initial_weights: run.initialWeights ? join(directory, 'initial.pt') : null,
    check_windows: run.checkWindows,
  };
}

function describeEpoch(line: EpochLine): string {
  const validation = line.validation_loss === null ? '' : `, validation loss ${line.validation_loss.toPrecision(4)}`;
  return `epoch ${line.epoch}/${line.max_epochs}: train loss ${line.train_loss.toPrecision(4)}${validation} (${line.seconds.toFixed(1)} s)`;
}

/** Runs the child to its end; resolves with its summary or rejects with its error (an AbortError after an abort). */
function runChild(directory: string, threads: number, ctx: TrainContext): Promise<EngineSummary> {
  return new Promise((resolvePromise, reject) => {
    const threadCount = String(Math.max(1, threads));
    const child = spawn(pythonExecutable(), [ENGINE_SCRIPT, directory], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, OMP_NUM_THREADS: threadCount, OPENBLAS_NUM_THREADS: threadCount, PYTHONDONTWRITEBYTECODE: '1' },
    });
    const stderrLines: string[] = [];
    let summary: EngineSummary | undefined;
    let reported: string | undefined;
    let aborted = false;
    const onAbort = () => {
      aborted = true;
      child.kill('SIGKILL');
    };
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    createInterface({ input: child.stdout }).on('line', (text) => {
      let line: EngineLine;
      try {
        line = JSON.parse(text) as EngineLine;
      } catch {
        ctx.log(withoutPaths(text));
        return;
      }
      if (line.type === 'epoch') {
        ctx.progress(line.epoch / line.max_epochs, describeEpoch(line));
        ctx.log(describeEpoch(line));
      } else if (line.type === 'done') summary = line;
      else reported = withoutPaths(line.message);
    });
    createInterface({ input: child.stderr }).on('line', (text) => {
      stderrLines.push(withoutPaths(text));
      if (stderrLines.length > STDERR_LINES_KEPT) stderrLines.shift();
    });
    child.on('error', (error) => {
      ctx.signal.removeEventListener('abort', onAbort);
      reject(new Error(`the PyTorch engine could not be started: ${error.message}`));
    });
    child.on('close', (code, signalName) => {
      ctx.signal.removeEventListener('abort', onAbort);
      if (aborted) {
        const reason = ctx.signal.reason instanceof Error ? `: ${ctx.signal.reason.message}` : '';
        reject(new DOMException(`training aborted; the PyTorch engine was stopped${reason}`, 'AbortError'));
      } else if (code === 0 && summary) resolvePromise(summary);
      else {
        const how = signalName ? `was killed by ${signalName}` : `exited with status ${code}`;
        const detail = reported ?? (stderrLines.slice(-5).join(' | ') || 'no error output');
        reject(new Error(`the PyTorch engine ${how}: ${detail}`));
      }
    });
  });
}

export async function runEngine(run: EngineRun, ctx: TrainContext): Promise<EngineResult> {
  const directory = await mkdtemp(join(tmpdir(), 'kybernet-sequence-'));
  try {
    await writeFile(join(directory, 'series.f32'), new Uint8Array(run.series.buffer, run.series.byteOffset, run.series.byteLength));
    if (run.initialWeights) await writeFile(join(directory, 'initial.pt'), run.initialWeights);
    await writeFile(join(directory, 'spec.json'), JSON.stringify(spec(run, directory, ctx.threads)));
    const summary = await runChild(directory, ctx.threads, ctx);
    const read = (name: string) => readFile(join(directory, name));
    return {
      weights: new Uint8Array(await read('weights.pt')),
      onnx: new Uint8Array(await read('model.onnx')),
      checkInput: asFloat32(await read('check_input.f32')),
      checkOutput: asFloat32(await read('check_output.f32')),
      validationForecast: asFloat32(await read('validation_forecast.f32')),
      testForecast: asFloat32(await read('test_forecast.f32')),
      summary,
    };
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}
