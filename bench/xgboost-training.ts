/**
 * Training speed of our koffi binding to libxgboost against Debian's python3-xgboost (the same
 * libxgboost 1.7.4) on the same data: 200,000 rows × 32 features, 100 rounds, hist, nthread 2, no early
 * stopping. Only training is timed (booster creation, parameters and the 100 rounds), not data loading.
 * Ours runs the family's loop: one UpdateOneIter per round with a yield to the event loop and an abort
 * check between rounds.
 *
 *   node -r @swc-node/register bench/xgboost-training.ts [runs=3]      (the baseline needs Debian's
 *                                                                      python3-xgboost: apt-get install -y python3-xgboost)
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import seedrandom from 'seedrandom';
import { throwIfAborted, yieldToEventLoop } from '../src/plugins/base/training-loop';
import { Booster, DMatrix } from '../src/plugins/base/xgboost-engine/native';
import { runBench } from './lib/entry';

const ROWS = 200_000;
const WIDTH = 32;
const ROUNDS = 100;
const RUNS = Number(process.argv[2] ?? 3);
const PYTHON = '/usr/bin/python3';
const PARAMS = {
  objective: 'reg:squarederror',
  tree_method: 'hist',
  max_depth: 6,
  eta: 0.1,
  subsample: 0.8,
  colsample_bytree: 0.8,
  lambda: 1,
  alpha: 0,
  min_child_weight: 1,
  gamma: 0,
  nthread: 2,
  seed: 1,
};

const PYTHON_BASELINE = `
import json, sys, time
import numpy as np
import xgboost as xgb
folder, rows, width, rounds, runs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
params = json.loads(open(folder + '/params.json').read())
X = np.fromfile(folder + '/features.f32', dtype='<f4').reshape(rows, width)
y = np.fromfile(folder + '/target.f32', dtype='<f4')
dtrain = xgb.DMatrix(X, label=y, missing=np.nan, nthread=params['nthread'])
seconds = []
for _ in range(runs):
    start = time.perf_counter()
    booster = xgb.train(params, dtrain, num_boost_round=rounds)
    seconds.append(time.perf_counter() - start)
booster.save_model(folder + '/python-model.json')
print(json.dumps({'seconds': seconds, 'version': xgb.__version__}))
`;

function syntheticData(): { features: Float32Array; target: Float32Array } {
  const random = seedrandom('bench:xgboost-training');
  const features = new Float32Array(ROWS * WIDTH);
  const target = new Float32Array(ROWS);
  for (let r = 0; r < ROWS; r++) {
    let score = 0;
    for (let j = 0; j < WIDTH; j++) {
      const v = random() * 2 - 1;
      features[r * WIDTH + j] = random() < 0.02 ? NaN : v;
      if (j < 8) score += (j % 2 === 0 ? 1 : -1) * v * v + 0.5 * v;
    }
    target[r] = score + 0.2 * (random() - 0.5);
  }
  return { features, target };
}

async function trainOurs(train: DMatrix, signal: AbortSignal): Promise<{ seconds: number; modelJson: Uint8Array }> {
  const start = process.hrtime.bigint();
  const booster = Booster.create([train]);
  try {
    booster.setParams(PARAMS);
    for (let round = 0; round < ROUNDS; round++) {
      await yieldToEventLoop();
      throwIfAborted(signal, `before round ${round + 1}`);
      booster.updateOneIter(round, train);
    }
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    return { seconds, modelJson: booster.saveJson() };
  } finally {
    booster.free();
  }
}

function treesOf(json: string): unknown {
  return JSON.parse(json).learner.gradient_booster.model.trees;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const folder = mkdtempSync(join(tmpdir(), 'kybernet-xgb-bench-'));
  try {
    const { features, target } = syntheticData();
    writeFileSync(join(folder, 'features.f32'), features);
    writeFileSync(join(folder, 'target.f32'), target);
    writeFileSync(join(folder, 'params.json'), JSON.stringify(PARAMS));
    writeFileSync(join(folder, 'baseline.py'), PYTHON_BASELINE);

    const train = DMatrix.fromDense(features, ROWS, WIDTH, target);
    const ours: number[] = [];
    const baseline: number[] = [];
    let ourModel: Uint8Array = new Uint8Array();
    let version = '';
    try {
      const signal = new AbortController().signal;
      for (let run = 0; run < RUNS; run++) {
        // Alternate single runs so that load from other processes falls on both sides alike.
        const result = await trainOurs(train, signal);
        ours.push(result.seconds);
        ourModel = result.modelJson;
        const out = execFileSync(PYTHON, [join(folder, 'baseline.py'), folder, `${ROWS}`, `${WIDTH}`, `${ROUNDS}`, '1'], {
          encoding: 'utf8',
        });
        const parsed = JSON.parse(out.trim().split('\n').pop()!) as { seconds: number[]; version: string };
        baseline.push(...parsed.seconds);
        version = parsed.version;
      }
    } finally {
      train.free();
    }
    const sameTrees =
      JSON.stringify(treesOf(new TextDecoder().decode(ourModel))) ===
      JSON.stringify(treesOf(readFileSync(join(folder, 'python-model.json'), 'utf8')));

    const row = (name: string, xs: number[]) =>
      `${name.padEnd(34)} ${median(xs).toFixed(3).padStart(9)} ${Math.min(...xs)
        .toFixed(3)
        .padStart(9)}   ${xs.map((x) => x.toFixed(3)).join(' ')}`;
    console.log(`XGBoost training: ${ROWS} rows × ${WIDTH} features, ${ROUNDS} rounds, hist, nthread 2 (${RUNS} runs each)`);
    console.log(`${'side'.padEnd(34)} ${'median s'.padStart(9)} ${'min s'.padStart(9)}   runs`);
    console.log(row('ours (koffi → libxgboost.so.0)', ours));
    console.log(row(`baseline (python3-xgboost ${version})`, baseline));
    // On a shared machine the fastest run is the least disturbed one; the median shows the spread.
    console.log(
      `ratio ours / baseline: ${(Math.min(...ours) / Math.min(...baseline)).toFixed(3)} (fastest runs), ` +
        `${(median(ours) / median(baseline)).toFixed(3)} (medians)`,
    );
    console.log(`identical trees from both sides: ${sameTrees ? 'yes' : 'NO'}`);

    const results = resolve(__dirname, 'results');
    mkdirSync(results, { recursive: true });
    writeFileSync(
      join(results, 'xgboost-training.json'),
      `${JSON.stringify(
        {
          benchmark: 'xgboost-training',
          date: new Date().toISOString(),
          rows: ROWS,
          features: WIDTH,
          rounds: ROUNDS,
          params: PARAMS,
          runs: RUNS,
          oursSeconds: ours,
          baselineSeconds: baseline,
          baseline: `python3-xgboost ${version} (Debian), xgb.train`,
          fastestRatio: Math.min(...ours) / Math.min(...baseline),
          medianRatio: median(ours) / median(baseline),
          identicalTrees: sameTrees,
        },
        null,
        2,
      )}\n`,
    );
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

runBench(main);
