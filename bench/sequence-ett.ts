/**
 * The sequence families on the standard ETT benchmark, beside the published PatchTST figures and two
 * baselines computed in the same run. ETTh1 and ETTh2, rows [0, 8640) train, [8640, 11520) validate,
 * [11520, 14400) test; every channel z-scored on the training rows; all 7 channels in and out; L 336.
 * Test MSE and MAE on the standardised scale over every test window (the official PatchTST code drops
 * the last partial test batch: 2,688 of 2,785 windows at H 96).
 *
 * Each family trains through its plugin (family.train: the engine child process, early stopping on the
 * validation windows, the ONNX export and its check) with its defaults except the epoch budget. The
 * baselines (bench/sequence/baselines.py): closed-form least squares from the L past values to the H
 * next ones, and repeating the last value. Training throughput: the plugin's windows per second of
 * training beside the same network in a bare torch loop (bench/sequence/minimal_loop.py).
 *
 *   node -r @swc-node/register bench/sequence-ett.ts [--data ETTh1,ETTh2] [--horizons 96] [--families patchtst,nhits]
 *        [--max-epochs 10] [--patience 3] [--threads 2] [--nhits '{"loss":"mse"}'] [--patchtst '{…}']
 * (--nhits / --patchtst: hyperparameters over the family's defaults, reported with the results; --results: the JSON's name)
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { tableFromCsv } from '../src/lib/dataset-table';
import { toSequenceSet } from '../src/learning/sequence-set';
import type { ModelFamily, SequenceTrainingSet } from '../src/plugins/contract';
import { nhitsFamily } from '../src/plugins/nhits';
import { patchtstFamily } from '../src/plugins/patchtst';
import { sharedPath } from '../test/helpers/shared';
import { runBench } from './lib/entry';
import { printTable, writeResults, type Row } from './lib/report';

const PYTHON = '/usr/bin/python3';
const TRAIN_END = 8640;
const VALIDATION_END = 11520;
const TEST_END = 14400;
const INPUT_LENGTH = 336;

/** PatchTST/42, Table 3 of Nie et al. (ICLR 2023): [MSE, MAE] by data set and horizon. */
const PUBLISHED_PATCHTST_42: Record<string, Record<number, [number, number]>> = {
  ETTh1: { 96: [0.375, 0.399], 192: [0.414, 0.421], 336: [0.431, 0.436], 720: [0.449, 0.466] },
  ETTh2: { 96: [0.274, 0.336], 192: [0.339, 0.379], 336: [0.331, 0.38], 720: [0.379, 0.422] },
};

function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : fallback;
}

const DATA = option('data', 'ETTh1,ETTh2').split(',');
const HORIZONS = option('horizons', '96').split(',').map(Number);
const FAMILIES = option('families', 'patchtst,nhits').split(',');
const MAX_EPOCHS = Number(option('max-epochs', '10'));
const PATIENCE = Number(option('patience', '3'));
const THREADS = Number(option('threads', '2'));
const OVERRIDES: Record<string, Record<string, unknown>> = {
  nhits: JSON.parse(option('nhits', '{}')),
  patchtst: JSON.parse(option('patchtst', '{}')),
};

const families: Record<string, ModelFamily<any>> = { patchtst: patchtstFamily, nhits: nhitsFamily };

function ettSet(csvPath: string, horizon: number): SequenceTrainingSet {
  const lines = readFileSync(csvPath, 'utf8')
    .trim()
    .split('\n')
    .slice(0, TEST_END + 1);
  const table = tableFromCsv(lines.join('\n'));
  const channels = table.columns.map((column) => column.name).filter((name) => name !== 'date');
  const set = toSequenceSet(
    table,
    { inputs: channels, targets: channels, orderBy: 'date' },
    {
      input_length: INPUT_LENGTH,
      horizon,
      validation_fraction: 0,
      test_fraction: 0,
    },
  );
  return { ...set, trainEnd: TRAIN_END, validationEnd: VALIDATION_END };
}

function pythonJson(script: string, args: string[]): any[] {
  const out = execFileSync(PYTHON, [resolve(__dirname, 'sequence', script), ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
  return out
    .trim()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line));
}

async function trainThroughPlugin(familyId: string, set: SequenceTrainingSet) {
  const family = families[familyId];
  const params = family.hyperparameters.parse({
    horizon: set.horizon,
    max_epochs: MAX_EPOCHS,
    patience: PATIENCE,
    seed: 2021,
    ...OVERRIDES[familyId],
  });
  const began = performance.now();
  const trained = await family.train(set, params, {
    signal: new AbortController().signal,
    progress: () => undefined,
    log: (message) => console.log(`  ${message}`),
    seed: 2021,
    threads: THREADS,
  });
  return { trained, params, seconds: (performance.now() - began) / 1000 };
}

function bareLoop(familyId: string, csvPath: string, params: Record<string, unknown>, horizon: number) {
  const [result] = pythonJson('minimal_loop.py', [
    '--network',
    resolve(__dirname, `../src/plugins/${familyId}/network.py`),
    '--config',
    JSON.stringify(params),
    '--csv',
    csvPath,
    '--input-length',
    String(INPUT_LENGTH),
    '--horizon',
    String(horizon),
    '--batch-size',
    String(params.batch_size),
    '--learning-rate',
    String(params.learning_rate),
    '--loss',
    String(params.loss),
    '--threads',
    String(THREADS),
    '--steps',
    '40',
  ]);
  return result as { windows_per_second: number };
}

runBench(async () => {
  const quality: Row[] = [];
  const throughput: Row[] = [];
  for (const name of DATA) {
    const csvPath = sharedPath('data', 'ett', `${name}.csv`);
    const baselines = pythonJson('baselines.py', [
      '--csv',
      csvPath,
      '--input-length',
      String(INPUT_LENGTH),
      '--horizons',
      HORIZONS.join(','),
      '--train-end',
      String(TRAIN_END),
      '--validation-end',
      String(VALIDATION_END),
      '--test-end',
      String(TEST_END),
    ]);
    for (const horizon of HORIZONS) {
      const baseline = baselines.find((line) => line.horizon === horizon);
      const published = PUBLISHED_PATCHTST_42[name]?.[horizon];
      if (published)
        quality.push({
          data: name,
          horizon,
          model: 'PatchTST/42 (published)',
          mse: published[0],
          mae: published[1],
          epochs: '',
          seconds: '',
        });
      quality.push({
        data: name,
        horizon,
        model: 'linear least squares',
        mse: baseline.linear.mse,
        mae: baseline.linear.mae,
        epochs: '',
        seconds: '',
      });
      quality.push({
        data: name,
        horizon,
        model: 'repeat last value',
        mse: baseline.last_value.mse,
        mae: baseline.last_value.mae,
        epochs: '',
        seconds: '',
      });
      const set = ettSet(csvPath, horizon);
      for (const familyId of FAMILIES) {
        console.log(`${name} H ${horizon}: training ${familyId} (at most ${MAX_EPOCHS} epochs, patience ${PATIENCE}, ${THREADS} threads)`);
        const { trained, params, seconds } = await trainThroughPlugin(familyId, set);
        const m = trained.metrics;
        quality.push({
          data: name,
          horizon,
          model: `${familyId} (Kybernet)${Object.keys(OVERRIDES[familyId]).length ? ` ${JSON.stringify(OVERRIDES[familyId])}` : ''}`,
          mse: m.test_mse,
          mae: m.test_mae,
          epochs: `${m.best_epoch}/${m.epochs_run}`,
          seconds: Math.round(seconds),
        });
        const bare = bareLoop(familyId, csvPath, params, horizon);
        throughput.push({
          data: name,
          horizon,
          family: familyId,
          'plugin windows/s': m.train_windows_per_second,
          'bare loop windows/s': bare.windows_per_second,
          'plugin / bare': m.train_windows_per_second / bare.windows_per_second,
          'onnx max diff (std)': m.onnx_max_difference,
        });
      }
    }
  }
  printTable(`Test MSE / MAE, standardised scale, L ${INPUT_LENGTH} (threads ${THREADS}; epochs = best/run)`, quality);
  printTable('Training throughput: the plugin beside the same network in a bare torch loop', throughput);
  const name = option('results', 'sequence-ett');
  const path = writeResults(name, {
    maxEpochs: MAX_EPOCHS,
    patience: PATIENCE,
    threads: THREADS,
    overrides: OVERRIDES,
    quality,
    throughput,
  });
  console.log(`\nwrote ${path}`);
});
