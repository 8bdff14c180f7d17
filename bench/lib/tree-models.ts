/** The benchmarks' XGBoost models: random features in [-1, 1] and a target that depends on the first 16 of them. */
import seedrandom from 'seedrandom';
import type { TabularTrainingSet } from '../../src/plugins/contract';
import { xgboostFamily } from '../../src/plugins/xgboost';

export function randomRows(rows: number, width: number, seed: string): number[][] {
  const random = seedrandom(seed);
  return Array.from({ length: rows }, () => Array.from({ length: width }, () => random() * 2 - 1));
}

export const featureNamesOf = (width: number) => Array.from({ length: width }, (_, j) => `f${j}`);

/** An XGBoost model of `trees` trees (depth 6) over `width` features, trained on 10,000 rows drawn with `seed`: its model.json. */
export async function trainTreeModel(seed: number, width: number, trees: number): Promise<Uint8Array> {
  const rows = randomRows(10_000, width, `bench:shadows:train:${seed}`);
  const data: TabularTrainingSet = {
    kind: 'tabular',
    featureNames: featureNamesOf(width),
    features: Float32Array.from(rows.flat()),
    target: Float32Array.from(rows, (row) => row.slice(0, 16).reduce((sum, x) => sum + Math.sin(3 * x), 0)),
    rows: rows.length,
  };
  const ctx = { signal: new AbortController().signal, progress: () => undefined, log: () => undefined, seed, threads: 2 };
  const trained = await xgboostFamily.train(
    data,
    xgboostFamily.hyperparameters.parse({ num_boost_round: trees, early_stopping_rounds: 0, max_depth: 6, subsample: 0.8, seed }),
    ctx,
  );
  return trained.artifact.files['model.json'];
}
