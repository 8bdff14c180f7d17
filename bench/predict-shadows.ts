/**
 * `predict` over HTTP with 0, 1 and 3 SHADOW versions beside the ACTIVE one (100-tree, 64-feature
 * XGBoost models): does shadow scoring slow the active answer? Shadows run off the answer's path
 * (serving.service.ts), but they share the CPU and the database with it. Three models — without
 * shadows (the baseline), with one, with three — are measured in interleaved rounds so that the
 * machine's load weighs on each alike; the table gives the median over rounds of each round's p50 and
 * p99, and the p99 relative to the baseline (the target: at most +10%). While requests queue (c = 16)
 * the shadows score a sample of them (policy.shadow_scoring.sample_rate_under_load); the table gives
 * the share of requests each shadow scored.
 *
 *   node -r @swc-node/register bench/predict-shadows.ts      (DATABASE_URL: a Postgres server to use)
 */
import { latencyPercentiles } from '../src/monitoring/performance';
import { startBenchApp } from './lib/bench-app';
import { runLoad } from './lib/http-load';
import { printTable, writeResults } from './lib/report';
import { featureNamesOf, randomRows, trainTreeModel } from './lib/tree-models';
import { runBench } from './lib/entry';

const WIDTH = 64;
const TREES = 100;
const ROUNDS = 9;
const REQUESTS = 1500;
const CONCURRENCY = [1, 16];
const SHADOWS = [0, 1, 3];

const median = (values: number[]) => latencyPercentiles(values).p50;

async function main(): Promise<void> {
  const bench = await startBenchApp();
  try {
    const { dataSource, lifecycle, serving } = bench.app.services;
    const shadowRows = async (model: string): Promise<number> =>
      Number(
        (
          await dataSource.query(
            `SELECT count(*) AS n FROM predictions p JOIN registered_models m ON m.id = p.registered_model_id WHERE m.name = $1 AND p.role = 'SHADOW'`,
            [model],
          )
        )[0].n,
      );
    const featureNames = featureNamesOf(WIDTH);
    const models = await Promise.all([0, 1, 2, 3].map((seed) => trainTreeModel(seed, WIDTH, TREES)));
    for (const shadows of SHADOWS) {
      const name = `shadows-${shadows}`;
      await lifecycle.importModel({
        model: name,
        family: 'xgboost',
        format: 'xgboost-json',
        files: { 'model.json': models[0] },
        featureNames,
        activate: true,
      });
      for (let s = 1; s <= shadows; s++)
        await lifecycle.importModel({
          model: name,
          family: 'xgboost',
          format: 'xgboost-json',
          files: { 'model.json': models[s] },
          featureNames,
        });
      await serving.refresh(name);
    }
    const [features] = randomRows(1, WIDTH, 'bench:shadows:row');
    const body = (model: string) =>
      JSON.stringify({
        query: 'mutation($input: PredictInput!) { predict(input: $input) { id value } }',
        variables: { input: { model, features } },
      });

    const rows = [];
    const perRound: Record<
      string,
      { p50: number[]; p99: number[]; perSecond: number[]; errors: number; scored: number; requests: number }
    > = {};
    for (const concurrency of CONCURRENCY) {
      for (let round = 0; round < ROUNDS; round++) {
        for (const shadows of SHADOWS) {
          const key = `${concurrency}:${shadows}`;
          const warmup = round === 0 ? 2000 : 200;
          const before = await shadowRows(`shadows-${shadows}`);
          const result = await runLoad({
            url: bench.http.url,
            key: bench.keys.trader,
            body: body(`shadows-${shadows}`),
            concurrency,
            requests: REQUESTS,
            warmup,
          });
          const { p50, p99 } = latencyPercentiles(result.latenciesMs);
          await new Promise((resolve) => setTimeout(resolve, 200)); // the last shadow window
          perRound[key] ??= { p50: [], p99: [], perSecond: [], errors: 0, scored: 0, requests: 0 };
          perRound[key].scored += (await shadowRows(`shadows-${shadows}`)) - before;
          perRound[key].requests += warmup + result.latenciesMs.length; // the warm-up ran at the same concurrency
          perRound[key].p50.push(p50);
          perRound[key].p99.push(p99);
          perRound[key].perSecond.push(result.latenciesMs.length / result.seconds);
          perRound[key].errors += result.errors;
        }
      }
      const baseline = median(perRound[`${concurrency}:0`].p99);
      for (const shadows of SHADOWS) {
        const figures = perRound[`${concurrency}:${shadows}`];
        const p99 = median(figures.p99);
        rows.push({
          shadows,
          concurrency,
          p50_ms: median(figures.p50),
          p99_ms: p99,
          p99_vs_no_shadows: `${p99 >= baseline ? '+' : ''}${(((p99 - baseline) / baseline) * 100).toFixed(1)}%`,
          per_second: Math.round(median(figures.perSecond)),
          shadow_scored: shadows === 0 ? '-' : `${((figures.scored / shadows / figures.requests) * 100).toFixed(0)}%`,
          errors: figures.errors,
        });
      }
    }
    printTable(
      `predict over HTTP with SHADOW versions: ${TREES} trees × ${WIDTH} features, median over ${ROUNDS} interleaved rounds of ${REQUESTS} requests`,
      rows,
    );
    console.log(
      `\nwrote ${writeResults('predict-shadows', { trees: TREES, features: WIDTH, rounds: ROUNDS, requestsPerRound: REQUESTS, results: rows, perRound })}`,
    );
  } finally {
    await bench.close();
  }
}

runBench(main);
