/**
 * The sequence families over real HTTP, trained by Debian's PyTorch in a child process and served from
 * ONNX: `families` lists nhits and patchtst; a version trains on a CSV series, forecasts through
 * `forecast` and `forecastBatch` (logged, and scored by its shadows), trains deterministically, is
 * retrained FULL and updated INCREMENTAL; a model exported by PyTorch elsewhere is imported with its
 * declared shape; cancelling ends the child within seconds and registers nothing; a child that dies
 * fails its version with its reason; bad histories and requests are refused with nothing written; and
 * where PyTorch is missing, these two families say so while the others train.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import seedrandom from 'seedrandom';
import {
  CancelJobDocument,
  CreateDatasetDocument,
  CreateRegisteredModelDocument,
  ForecastBatchDocument,
  ForecastDocument,
  ImportModelDocument,
  JobDocument,
  PredictionsDocument,
  SequenceFamiliesDocument,
  SequenceVersionDocument,
  TrainModelDocument,
  TriggerRetrainingDocument,
  TuneModelDocument,
  UpdatePolicyPatchDocument,
} from '../../generated/graphql';
import { startTestApp, type TestApp } from '../../helpers/app';
import { syntheticRows, waitForJob } from '../../helpers/fixtures';
import { dataOf, errorOf } from '../../helpers/graphql';

jest.setTimeout(240_000);

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t?.close();
});

const L = 16;
const H = 4;
const NHITS = { input_length: L, horizon: H, max_epochs: 2, mlp_units: [16, 16], seed: 1 };
const PATCHTST = {
  input_length: L,
  horizon: H,
  patch_length: 8,
  stride: 4,
  d_model: 8,
  n_heads: 2,
  n_layers: 1,
  d_ff: 16,
  max_epochs: 2,
  seed: 1,
};

/** Two hourly channels: a noisy sine, and a cosine that leans on it. */
function series(rows: number, seed: string, startHour = 0): { time: string; a: number; b: number }[] {
  const random = seedrandom(seed);
  return Array.from({ length: rows }, (_, i) => {
    const step = startHour + i;
    const a = Math.sin(step / 8) + 0.1 * (random() - 0.5);
    return {
      time: new Date(Date.UTC(2024, 0, 1) + step * 3_600_000).toISOString(),
      a,
      b: Math.cos(step / 13) + 0.5 * a + 0.1 * (random() - 0.5),
    };
  });
}

const csvOf = (rows: { time: string; a: number; b: number }[]) => ['time,a,b', ...rows.map((r) => `${r.time},${r.a},${r.b}`)].join('\n');
const SERIES = series(400, 'sequence-families');
const historyOf = (rows: { a: number; b: number }[]) => rows.map((r) => [r.a, r.b]);

async function count(table: string): Promise<number> {
  const [row] = await t.dataSource.query(`SELECT count(*)::int AS n FROM ${table}`);
  return row.n;
}

async function createDataset(name: string, rows = SERIES): Promise<void> {
  dataOf(await t.as('operator')(CreateDatasetDocument, { input: { name, csv: csvOf(rows) } }));
}

async function register(name: string, family: string): Promise<void> {
  dataOf(await t.as('operator')(CreateRegisteredModelDocument, { input: { name, family } }));
}

async function train(model: string, hyperparameters: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  const { trainModel } = dataOf(
    await t.as('operator')(TrainModelDocument, {
      input: { model, dataset: 'waves', featureColumns: ['a', 'b'], targetColumns: ['b'], orderColumn: 'time', hyperparameters, ...extra },
    }),
  );
  const job = await waitForJob(t, trainModel.id, 120_000);
  expect({ status: job.status, error: job.error }).toEqual({ status: 'COMPLETED', error: null });
  return dataOf(await t.as('viewer')(SequenceVersionDocument, { id: job.modelVersion!.id })).modelVersion!;
}

beforeAll(async () => {
  await createDataset('waves');
  await register('waves-nhits', 'nhits');
  await register('waves-patchtst', 'patchtst');
});

describe('families', () => {
  it('lists nhits and patchtst as sequence families with their schemas, trainable here', async () => {
    const { families } = dataOf(await t.as('viewer')(SequenceFamiliesDocument));
    for (const id of ['nhits', 'patchtst']) {
      const family = families.find((f) => f.id === id)!;
      expect(family).toMatchObject({
        kind: 'SEQUENCE',
        available: true,
        unavailableReason: null,
        importFormats: ['onnx'],
        supportsUpdate: true,
      });
      const properties = (family.hyperparameterSchema as { properties: Record<string, unknown> }).properties;
      for (const common of [
        'input_length',
        'horizon',
        'max_epochs',
        'batch_size',
        'learning_rate',
        'patience',
        'validation_fraction',
        'test_fraction',
        'seed',
        'loss',
      ])
        expect(properties).toHaveProperty(common);
    }
    const nhits = families.find((f) => f.id === 'nhits')!.hyperparameterSchema as { properties: Record<string, { default?: unknown }> };
    expect(nhits.properties.pool_kernel_sizes.default).toEqual([2, 2, 1]);
    expect(nhits.properties.downsample_frequencies.default).toEqual([4, 2, 1]);
    const patchtst = families.find((f) => f.id === 'patchtst')!.hyperparameterSchema as {
      properties: Record<string, { default?: unknown }>;
    };
    expect([patchtst.properties.patch_length.default, patchtst.properties.stride.default, patchtst.properties.d_model.default]).toEqual([
      16, 8, 16,
    ]);
  });
});

describe('training, forecasting and shadows', () => {
  let first: Awaited<ReturnType<typeof train>>;

  beforeAll(async () => {
    first = await train('waves-nhits', NHITS, { activate: true });
  });

  it('registers a forecast model with its shape, per-step metrics and its three artifact files', () => {
    expect(first.status).toBe('ACTIVE');
    expect(first.format).toBe('torch-sequence');
    expect(first.featureNames).toEqual(['a', 'b']);
    expect(first.signature).toEqual({
      task: 'forecast',
      inputWidth: L * 2,
      sequence: { inputLength: L, horizon: H, inputChannels: ['a', 'b'], targets: ['b'] },
    });
    expect(first.artifacts.map((file) => file.path).sort()).toEqual(['model.onnx', 'scaling.json', 'weights.pt']);
    const metrics = first.metrics as Record<string, number>;
    for (const name of ['mse', 'mae', 'mse_original', 'mae_original', 'rmse', 'mse_step_1', `mae_step_${H}`])
      expect(Number.isFinite(metrics[name])).toBe(true);
    expect(metrics.rmse).toBeCloseTo(Math.sqrt(metrics.mse_original), 10);
    expect(metrics.onnx_max_difference).toBeLessThanOrEqual(1e-4);
    expect(first.trainingSpec).toMatchObject({
      featureColumns: ['a', 'b'],
      targetColumns: ['b'],
      targetColumn: 'b',
      orderColumn: 'time',
      rows: 400,
    });
  });

  it('trains the same weights from the same seed and data; the gate before SHADOW rejects such a twin', async () => {
    const again = await train('waves-nhits', NHITS);
    // Both forecast the validation windows alike: nothing to gain, so it never scores live traffic.
    expect(again.status).toBe('REJECTED');
    expect(again.gate).toMatchObject({ passed: false, compared: true, againstVersion: first.version, improvementPct: 0 });
    expect(again.gate!.rows).toBeGreaterThanOrEqual(30);
    const weights = (version: typeof first) => version.artifacts.find((file) => file.path === 'weights.pt')!.sha256;
    expect(weights(again)).toBe(weights(first));
    const { train_windows_per_second: _speed, ...figures } = again.metrics as Record<string, number>;
    expect({ ...figures, train_windows_per_second: (first.metrics as Record<string, number>).train_windows_per_second }).toEqual(
      first.metrics,
    );
  });

  it('forecasts a history, logs it, and every SHADOW scores the same request', async () => {
    // Another seed, no better on validation: registered past the gate so that it scores as a SHADOW.
    dataOf(await t.as('operator')(UpdatePolicyPatchDocument, { patch: { promotion_gate: { enabled: false } } }));
    const shadow = await train('waves-nhits', { ...NHITS, seed: 7 });
    dataOf(await t.as('operator')(UpdatePolicyPatchDocument, { patch: { promotion_gate: { enabled: true } } }));
    expect(shadow.status).toBe('SHADOW');
    const history = historyOf(SERIES.slice(-L));
    const { forecast } = dataOf(
      await t.as('trader')(ForecastDocument, { input: { model: 'waves-nhits', history, requestId: 'forecast-1' } }),
    );
    expect(forecast).toMatchObject({
      requestId: 'forecast-1',
      horizon: H,
      targets: ['b'],
      modelVersion: { version: first.version, status: 'ACTIVE' },
    });
    expect(forecast.values).toHaveLength(H);
    for (const row of forecast.values) {
      expect(row).toHaveLength(1);
      expect(Math.abs(row[0])).toBeLessThan(5);
    }
    const rolesLogged = async () => {
      const { predictions } = dataOf(
        await t.as('viewer')(PredictionsDocument, { filter: { model: 'waves-nhits', requestId: 'forecast-1' } }),
      );
      return predictions.nodes.map((p) => `${p.role}:v${p.modelVersion.version}`).sort();
    };
    const deadline = Date.now() + 20_000;
    while ((await rolesLogged()).length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));
    await new Promise((resolve) => setTimeout(resolve, 500)); // room for a row that should not come
    // The one SHADOW is the seed-7 version; the REJECTED twin of v1 scores nothing.
    expect(await rolesLogged()).toEqual([`ACTIVE:v${first.version}`, `SHADOW:v${shadow.version}`]);
    const [logged] = await t.dataSource.query(`SELECT features, outputs, value FROM predictions WHERE id = $1`, [forecast.id]);
    expect(logged.features).toHaveLength(L * 2);
    expect(logged.features[L * 2 - 1]).toBeCloseTo(SERIES[SERIES.length - 1].b, 5);
    expect(logged.outputs.map((v: number) => Number(v.toPrecision(5)))).toEqual(
      forecast.values.map((row) => Number(row[0].toPrecision(5))),
    );
  });

  it('forecasts a batch of histories in one call', async () => {
    const histories = [0, 50, 100].map((from) => historyOf(SERIES.slice(from, from + L)));
    const { forecastBatch } = dataOf(
      await t.as('trader')(ForecastBatchDocument, { input: { model: 'waves-nhits', histories, requestId: 'batch' } }),
    );
    expect(forecastBatch.map((f) => f.requestId)).toEqual(['batch:0', 'batch:1', 'batch:2']);
    const { forecast } = dataOf(await t.as('trader')(ForecastDocument, { input: { model: 'waves-nhits', history: histories[1] } }));
    expect(forecastBatch[1].values).toEqual(forecast.values);
  });

  it('trains PatchTST on every input channel as its targets by default', async () => {
    const { trainModel } = dataOf(
      await t.as('operator')(TrainModelDocument, {
        input: {
          model: 'waves-patchtst',
          dataset: 'waves',
          featureColumns: ['a', 'b'],
          orderColumn: 'time',
          hyperparameters: PATCHTST,
          activate: true,
        },
      }),
    );
    const job = await waitForJob(t, trainModel.id, 120_000);
    expect(job.status).toBe('COMPLETED');
    const { forecast } = dataOf(
      await t.as('trader')(ForecastDocument, { input: { model: 'waves-patchtst', history: historyOf(SERIES.slice(-L)) } }),
    );
    expect(forecast.targets).toEqual(['a', 'b']);
    expect(forecast.values.map((row) => row.length)).toEqual([2, 2, 2, 2]);
  });

  it('tunes a sequence model over its search space', async () => {
    const { tuneModel } = dataOf(await t.as('operator')(TuneModelDocument, { input: { model: 'waves-patchtst', trials: 2, seed: 3 } }));
    const job = await waitForJob(t, tuneModel.id, 180_000);
    expect({ status: job.status, error: job.error }).toEqual({ status: 'COMPLETED', error: null });
    const result = job.result as { metric: string; trials: { loss: number }[] };
    expect(result.metric).toBe('rmse');
    expect(result.trials.map((trial) => Number.isFinite(trial.loss))).toEqual([true, true]);
  });

  it('retrains FULL from the ACTIVE version and updates it INCREMENTAL on new rows', async () => {
    const full = dataOf(
      await t.as('operator')(TriggerRetrainingDocument, { input: { kind: 'FULL', models: ['waves-nhits'], reason: 'test' } }),
    );
    const fullJob = await waitForJob(t, full.triggerRetraining.jobs[0].id, 120_000);
    expect({ status: fullJob.status, error: fullJob.error }).toEqual({ status: 'COMPLETED', error: null });
    const retrained = dataOf(await t.as('viewer')(SequenceVersionDocument, { id: fullJob.modelVersion!.id })).modelVersion!;
    expect(retrained).toMatchObject({ source: 'TRAINED', format: 'torch-sequence', signature: first.signature });

    await createDataset('waves-more', series(120, 'sequence-families-more', 400));
    const update = dataOf(
      await t.as('operator')(TriggerRetrainingDocument, {
        input: { kind: 'INCREMENTAL', models: ['waves-nhits'], dataset: 'waves-more', reason: 'new rows' },
      }),
    );
    const updateJob = await waitForJob(t, update.triggerRetraining.jobs[0].id, 120_000);
    expect({ status: updateJob.status, error: updateJob.error }).toEqual({ status: 'COMPLETED', error: null });
    const updated = dataOf(await t.as('viewer')(SequenceVersionDocument, { id: updateJob.modelVersion!.id })).modelVersion!;
    expect(updated.source).toBe('UPDATED');
    expect((updated.metrics as Record<string, number>).epochs_run).toBe(3); // fine_tune_epochs
    const scaling = (version: typeof first) => version.artifacts.find((file) => file.path === 'scaling.json')!.sha256;
    expect(scaling(updated)).toBe(scaling(first)); // an update keeps the scaling its graph was trained with
  });
});

describe('importing a sequence model exported by PyTorch elsewhere', () => {
  let onnx: Buffer;
  beforeAll(() => {
    // Repeats the last value of channel b over the horizon: [N, 16, 2] → [N, 4, 1].
    const folder = mkdtempSync(join(tmpdir(), 'kybernet-torch-export-'));
    execFileSync('/usr/bin/python3', [
      '-c',
      `import torch
class Repeat(torch.nn.Module):
    def forward(self, window):
        return window[:, -1:, 1:2].repeat(1, ${H}, 1)
torch.onnx.export(Repeat(), torch.zeros(2, ${L}, 2), "${folder}/model.onnx", opset_version=14, input_names=["history"],
    output_names=["prediction"], dynamic_axes={"history": {0: "n"}, "prediction": {0: "n"}})`,
    ]);
    onnx = readFileSync(join(folder, 'model.onnx'));
    rmSync(folder, { recursive: true, force: true });
  });

  const importInput = (sequence: Record<string, unknown>, name = 'waves-imported') => ({
    name,
    family: 'nhits',
    format: 'onnx',
    featureNames: ['a', 'b'],
    files: [{ path: 'model.onnx', contentBase64: onnx.toString('base64') }],
    sequence: { inputLength: L, horizon: H, inputChannels: ['a', 'b'], targets: ['b'], ...sequence },
    activate: true,
  });

  it('registers it with its declared shape and serves its forecasts', async () => {
    const { importModel } = dataOf(await t.as('operator')(ImportModelDocument, { input: importInput({}) }));
    expect(importModel.status).toBe('ACTIVE');
    const history = historyOf(SERIES.slice(-L));
    const { forecast } = dataOf(await t.as('trader')(ForecastDocument, { input: { model: 'waves-imported', history } }));
    const last = Math.fround(SERIES[SERIES.length - 1].b);
    expect(forecast.values).toEqual([[last], [last], [last], [last]]);
  });

  it('refuses a declared shape the graph does not have, writing nothing', async () => {
    const before = await count('model_versions');
    for (const [sequence, message] of [
      [{ horizon: 5 }, /expects a float output \[N, 5, 1\]/],
      [{ inputLength: 12 }, /expects one float input \[N, 12, 2\]/],
      [{ targets: ['a', 'b'] }, /expects a float output \[N, 4, 2\]/],
      [{ inputChannels: ['b', 'a'] }, /sequence.inputChannels to equal featureNames/],
    ] as const) {
      const error = errorOf(await t.as('operator')(ImportModelDocument, { input: importInput(sequence, 'waves-refused') }));
      expect(error.code).toBe('BAD_USER_INPUT');
      expect(error.message).toMatch(message);
    }
    const missing = errorOf(
      await t.as('operator')(ImportModelDocument, { input: { ...importInput({}, 'waves-refused'), sequence: null } }),
    );
    expect(missing.message).toMatch(/expects sequence: \{ inputLength, horizon, inputChannels, targets \}/);
    expect(await count('model_versions')).toBe(before);
  });

  it('accepts an export whose horizon dimension is symbolic, and refuses it where the forecast has another size', async () => {
    // torch.onnx.export often leaves non-batch output dimensions symbolic (our own PatchTST does).
    const folder = mkdtempSync(join(tmpdir(), 'kybernet-torch-export-'));
    execFileSync('/usr/bin/python3', [
      '-c',
      `import torch
class Repeat(torch.nn.Module):
    def forward(self, window):
        return window[:, -1:, 1:2].repeat(1, ${H}, 1)
torch.onnx.export(Repeat(), torch.zeros(2, ${L}, 2), "${folder}/model.onnx", opset_version=14, input_names=["history"],
    output_names=["prediction"], dynamic_axes={"history": {0: "n"}, "prediction": {0: "n", 1: "steps"}})`,
    ]);
    const symbolic = readFileSync(join(folder, 'model.onnx')).toString('base64');
    rmSync(folder, { recursive: true, force: true });
    const files = [{ path: 'model.onnx', contentBase64: symbolic }];
    const before = await count('model_versions');
    const wrong = errorOf(
      await t.as('operator')(ImportModelDocument, { input: { ...importInput({ horizon: 5 }, 'waves-symbolic'), files } }),
    );
    expect(wrong).toMatchObject({ code: 'BAD_USER_INPUT' });
    expect(wrong.message).toMatch(/forecasts a window of zeros, but: expects 5 output values per row \(1 rows\), but got 4/);
    expect(await count('model_versions')).toBe(before);
    const { importModel } = dataOf(await t.as('operator')(ImportModelDocument, { input: { ...importInput({}, 'waves-symbolic'), files } }));
    expect(importModel.status).toBe('ACTIVE');
  });
});

describe('bad input', () => {
  const forecast = (history: unknown, model = 'waves-nhits') =>
    t.as('trader')(ForecastDocument, { input: { model, history: history as (number | null)[][] } });

  it('refuses histories of the wrong length or width, or with a missing value, logging nothing', async () => {
    const before = await count('predictions');
    const cases: [unknown, RegExp][] = [
      [
        historyOf(SERIES.slice(-L + 1)),
        /history: expects 16 rows \(the model's input length, oldest first\) of 2 values \(a, b\), but got 15/,
      ],
      [[...historyOf(SERIES.slice(-L + 1)), [1]], /history\[15\]: expects 2 values \(a, b\), but got 1/],
      [[...historyOf(SERIES.slice(-L + 1)), [1, null]], /history\[15\]\[1\] \(b\) is missing/],
    ];
    for (const [history, message] of cases) {
      const error = errorOf(await forecast(history));
      expect(error.code).toBe('BAD_USER_INPUT');
      expect(error.message).toMatch(message);
    }
    const batch = errorOf(await t.as('trader')(ForecastBatchDocument, { input: { model: 'waves-nhits', histories: [] } }));
    expect(batch.message).toMatch(/at least one history/);
    expect(await count('predictions')).toBe(before);
  });

  it('refuses forecasting with a tabular model, saying what to call', async () => {
    await register('tabular', 'xgboost');
    dataOf(await t.as('operator')(CreateDatasetDocument, { input: { name: 'tabular-rows', rows: syntheticRows(200, 3) } }));
    const { trainModel } = dataOf(
      await t.as('operator')(TrainModelDocument, {
        input: {
          model: 'tabular',
          dataset: 'tabular-rows',
          targetColumn: 'y',
          featureColumns: ['f0', 'f1'],
          orderColumn: 't',
          activate: true,
        },
      }),
    );
    expect((await waitForJob(t, trainModel.id)).status).toBe('COMPLETED');
    const error = errorOf(await forecast(historyOf(SERIES.slice(-L)), 'tabular'));
    expect(error.code).toBe('BAD_USER_INPUT');
    expect(error.message).toBe('model "tabular" is a xgboost model, not a sequence model (nhits, patchtst); call predict for it');
  });

  it('refuses, before queuing, a horizon the dataset cannot hold and targets that are not inputs', async () => {
    const jobs = await count('jobs');
    const tooLong = errorOf(
      await t.as('operator')(TrainModelDocument, {
        input: {
          model: 'waves-nhits',
          dataset: 'waves',
          featureColumns: ['a', 'b'],
          orderColumn: 'time',
          hyperparameters: { ...NHITS, input_length: 300, horizon: 100 },
        },
      }),
    );
    expect(tooLong.code).toBe('BAD_USER_INPUT');
    expect(tooLong.message).toMatch(
      /expects the training rows of dataset "waves" \(320 of 400\) to hold one window of input_length \+ horizon = 400 rows/,
    );
    await createDataset('tiny', SERIES.slice(0, 10));
    const tiny = errorOf(
      await t.as('operator')(TrainModelDocument, {
        input: { model: 'waves-nhits', dataset: 'tiny', featureColumns: ['a', 'b'], orderColumn: 'time', hyperparameters: NHITS },
      }),
    );
    expect(tiny.message).toMatch(/to hold one window of input_length \+ horizon = 20 rows/);
    const targets = errorOf(
      await t.as('operator')(TrainModelDocument, {
        input: {
          model: 'waves-nhits',
          dataset: 'waves',
          featureColumns: ['a'],
          targetColumns: ['b'],
          orderColumn: 'time',
          hyperparameters: NHITS,
        },
      }),
    );
    expect(targets.message).toMatch(/expects each target to be an input channel too/);
    expect(await count('jobs')).toBe(jobs);
  });
});

describe('the engine process', () => {
  async function startLongTraining(): Promise<{ jobId: string; versionId: string }> {
    const { trainModel } = dataOf(
      await t.as('operator')(TrainModelDocument, {
        input: {
          model: 'waves-nhits',
          dataset: 'waves',
          featureColumns: ['a', 'b'],
          targetColumns: ['b'],
          orderColumn: 'time',
          hyperparameters: { ...NHITS, max_epochs: 1000, patience: 1000 },
        },
      }),
    );
    const deadline = Date.now() + 60_000;
    for (;;) {
      const { job } = dataOf(await t.as('viewer')(JobDocument, { id: trainModel.id }));
      if (job.status === 'RUNNING' && job.progress > 0 && job.modelVersion) return { jobId: job.id, versionId: job.modelVersion.id };
      if (Date.now() > deadline) throw new Error(`job ${job.id} did not start an epoch (${job.status})`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  const engineChildren = () => {
    try {
      // Without a shell: its own command line would name engine.py too.
      return execFileSync('pgrep', ['-P', String(process.pid), '-f', 'engine.py'], { encoding: 'utf8' })
        .trim()
        .split('\n')
        .filter(Boolean)
        .map(Number);
    } catch {
      return []; // pgrep exits 1 when nothing matches
    }
  };

  it('ends the child within seconds on cancelJob and registers nothing', async () => {
    const { jobId, versionId } = await startLongTraining();
    expect(engineChildren()).toHaveLength(1);
    const cancelledAt = Date.now();
    dataOf(await t.as('operator')(CancelJobDocument, { id: jobId }));
    const job = await waitForJob(t, jobId, 30_000);
    expect(job.status).toBe('CANCELLED');
    expect(Date.now() - cancelledAt).toBeLessThan(15_000);
    const version = dataOf(await t.as('viewer')(SequenceVersionDocument, { id: versionId })).modelVersion!;
    expect(version.status).toBe('FAILED');
    expect(version.artifacts).toEqual([]);
    expect(engineChildren()).toEqual([]);
  });

  it('fails the version with the reason when the child dies mid-epoch', async () => {
    const { jobId, versionId } = await startLongTraining();
    const [child] = engineChildren();
    process.kill(child, 'SIGKILL');
    const deadline = Date.now() + 30_000;
    let version = dataOf(await t.as('viewer')(SequenceVersionDocument, { id: versionId })).modelVersion!;
    while (version.status !== 'FAILED' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      version = dataOf(await t.as('viewer')(SequenceVersionDocument, { id: versionId })).modelVersion!;
    }
    expect(version.status).toBe('FAILED');
    expect(version.error).toMatch(/^the PyTorch engine was killed by SIGKILL/);
    dataOf(await t.as('operator')(CancelJobDocument, { id: jobId })); // the retry would train for 1,000 epochs
    await waitForJob(t, jobId, 30_000);
  });
});

describe('without PyTorch', () => {
  let folder: string;
  beforeAll(() => {
    // A real Python that cannot see Debian's torch: the interpreter without its site packages.
    folder = mkdtempSync(join(tmpdir(), 'kybernet-no-torch-'));
    writeFileSync(join(folder, 'python3'), '#!/bin/sh\nexec /usr/bin/python3 -S "$@"\n');
    chmodSync(join(folder, 'python3'), 0o755);
    process.env.KYBERNET_PYTHON = join(folder, 'python3');
  });
  afterAll(() => {
    delete process.env.KYBERNET_PYTHON;
    rmSync(folder, { recursive: true, force: true });
  });

  it('lists the two families as unavailable with the command, refuses their training, and trains the others', async () => {
    const { families } = dataOf(await t.as('viewer')(SequenceFamiliesDocument));
    const nhits = families.find((family) => family.id === 'nhits')!;
    expect(nhits.available).toBe(false);
    expect(nhits.unavailableReason).toMatch(
      /PyTorch is not installed for .*python3; run scripts\/setup, or as root: apt-get install -y python3-torch libopenblas0-pthread/,
    );
    expect(families.find((family) => family.id === 'xgboost')!.available).toBe(true);
    const refused = errorOf(
      await t.as('operator')(TrainModelDocument, {
        input: { model: 'waves-nhits', dataset: 'waves', featureColumns: ['a', 'b'], orderColumn: 'time', hyperparameters: NHITS },
      }),
    );
    expect(refused.code).toBe('BAD_USER_INPUT');
    expect(refused.message).toMatch(/^family nhits cannot train on this server: PyTorch is not installed/);
    const { trainModel } = dataOf(
      await t.as('operator')(TrainModelDocument, {
        input: { model: 'tabular', dataset: 'tabular-rows', targetColumn: 'y', featureColumns: ['f0', 'f1'], orderColumn: 't' },
      }),
    );
    expect((await waitForJob(t, trainModel.id)).status).toBe('COMPLETED');
    // Stored sequence versions still serve: serving needs ONNX Runtime only.
    const { forecast } = dataOf(
      await t.as('trader')(ForecastDocument, { input: { model: 'waves-nhits', history: historyOf(SERIES.slice(-L)) } }),
    );
    expect(forecast.values).toHaveLength(H);
  });
});
