/**
 * Where should SHADOW versions score (policy.shadow_scoring.where)? `predict` over HTTP at c = 32 on a
 * model with 2 SHADOW versions (100-tree, 64-feature XGBoost models), side by side in one run:
 *
 *   - none:              a model without shadows (the baseline);
 *   - api, sampled:      where = 'api' at the default sample_rate_under_load (0.1);
 *   - api, every:        where = 'api', sample_rate_under_load 1 (every request, as the workers do);
 *   - workers, in-process: where = 'workers', scored by a ShadowScoringService in the API's own
 *                        process — what `kybernet serve` with its inline worker does on one machine;
 *   - workers, process:  where = 'workers', scored by a separate `kybernet worker` process
 *                        (src/server/cli.ts) on the same database and machine.
 *
 * The configurations run in interleaved rounds. Each round warms up at the measured concurrency for
 * longer than the workers' safety lag, so the workers are scoring throughout the measured requests
 * (steady state, not a backlog left for after the round); after the round the scorers drain before the
 * next configuration starts; before a workers round the shadows' cursors are moved to its start, so
 * that the workers score that round's requests and not those the sampled rounds left. The table gives
 * the median over rounds of requests per second and p50 / p99, the share of the round's requests each
 * shadow scored, and how long after the load the last shadow row was written.
 *
 *   node -r @swc-node/register bench/shadow-placement.ts      (DATABASE_URL: a Postgres server to use)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { latencyPercentiles } from '../src/monitoring/performance';
import { ShadowScoringService } from '../src/monitoring/shadow-scoring.service';
import { startBenchApp, type BenchApp } from './lib/bench-app';
import { runLoad } from './lib/http-load';
import { printTable, writeResults, type Row } from './lib/report';
import { featureNamesOf, randomRows, trainTreeModel } from './lib/tree-models';
import { runBench } from './lib/entry';

const WIDTH = 64;
const TREES = 100;
const ROUNDS = 5;
const CONCURRENCY = 32;
/** At ~1,000 requests/s, longer than the workers' safety lag (5 s). */
const WARMUP = 15_000;
const REQUESTS = 20_000;
const DRAIN_TIMEOUT_MS = 120_000;

type Placement = 'none' | 'api, sampled' | 'api, every' | 'workers, in-process' | 'workers, process';
const PLACEMENTS: Placement[] = ['none', 'api, sampled', 'api, every', 'workers, in-process', 'workers, process'];

const median = (values: number[]) => latencyPercentiles(values).p50;
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/** A `kybernet worker` process on the bench's database and artifact store; resolves once it works. */
function startWorkerProcess(bench: BenchApp): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['-r', '@swc-node/register', 'src/server/cli.ts', 'worker'], {
    cwd: resolve(__dirname, '..'),
    env: { ...process.env, DATABASE_URL: bench.databaseUrl, KYBERNET_DATA_DIR: bench.dataDir, KYBERNET_SCHEDULER: 'false' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((ready, fail) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('working jobs')) ready(child);
    });
    child.once('exit', (code) => fail(new Error(`kybernet worker exited with ${code} before it was ready`)));
  });
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((done) => child.once('exit', done));
  child.kill('SIGTERM');
  await exited;
}

async function main(): Promise<void> {
  const bench = await startBenchApp();
  try {
    const { dataSource, lifecycle, serving, policy, registry, families } = bench.app.services;
    const featureNames = featureNamesOf(WIDTH);
    const models = await Promise.all([0, 1, 2].map((seed) => trainTreeModel(seed, WIDTH, TREES)));
    const importModel = (model: string, seed: number, activate: boolean) =>
      lifecycle.importModel({
        model,
        family: 'xgboost',
        format: 'xgboost-json',
        files: { 'model.json': models[seed] },
        featureNames,
        activate,
      });
    await importModel('no-shadows', 0, true);
    await importModel('two-shadows', 0, true);
    await importModel('two-shadows', 1, false);
    await importModel('two-shadows', 2, false);
    const [features] = randomRows(1, WIDTH, 'bench:placement:row');
    const body = (model: string) =>
      JSON.stringify({
        query: 'mutation($input: PredictInput!) { predict(input: $input) { id value } }',
        variables: { input: { model, features } },
      });
    const [{ id: twoShadowsId }] = await dataSource.query(`SELECT id FROM registered_models WHERE name = 'two-shadows'`);
    const shadowIds: string[] = (
      await dataSource.query(`SELECT id FROM model_versions WHERE registered_model_id = $1 AND status = 'SHADOW'`, [twoShadowsId])
    ).map((row: { id: string }) => row.id);
    /** Rows of the model written since `since` (a database timestamp, as text). */
    const rowsSince = async (role: 'ACTIVE' | 'SHADOW', since: string): Promise<number> =>
      Number(
        (
          await dataSource.query(
            `SELECT count(*) AS n FROM predictions WHERE registered_model_id = $1 AND role = $2 AND created_at >= $3`,
            [twoShadowsId, role, since],
          )
        )[0].n,
      );

    const perRound: Record<
      string,
      { perSecond: number[]; p50: number[]; p99: number[]; scored: number[]; drainSeconds: number[]; errors: number }
    > = {};
    for (let round = 0; round < ROUNDS; round++) {
      for (const placement of PLACEMENTS) {
        const where = placement.startsWith('workers') ? 'workers' : 'api';
        await policy.updatePolicy({ shadow_scoring: { where, sample_rate_under_load: placement === 'api, every' ? 1 : 0.1 } }, null);
        await serving.refresh('two-shadows');
        const [{ now: roundStart }] = await dataSource.query(`SELECT now()::text AS now`);
        let scorer: ShadowScoringService | undefined;
        let workerProcess: ChildProcess | undefined;
        if (where === 'workers') {
          // The workers score this round's requests, not the backlog that the sampled rounds left unscored.
          await dataSource.query(
            `INSERT INTO shadow_scoring_cursors (model_version_id, registered_model_id, scored_through_at, scored_through_id)
             SELECT id, registered_model_id, $2::timestamptz, '00000000-0000-0000-0000-000000000000'
             FROM model_versions WHERE id = ANY ($1)
             ON CONFLICT (model_version_id) DO UPDATE
             SET scored_through_at = EXCLUDED.scored_through_at, scored_through_id = EXCLUDED.scored_through_id`,
            [shadowIds, roundStart],
          );
        }
        if (placement === 'workers, in-process') {
          scorer = new ShadowScoringService(dataSource, registry, families, {
            policy: async () => (await policy.current()).document,
            log: (message) => console.error(message),
          });
          scorer.start();
        }
        if (placement === 'workers, process') workerProcess = await startWorkerProcess(bench);

        const figures = (perRound[placement] ??= { perSecond: [], p50: [], p99: [], scored: [], drainSeconds: [], errors: 0 });
        const model = placement === 'none' ? 'no-shadows' : 'two-shadows';
        const result = await runLoad({
          url: bench.http.url,
          key: bench.keys.trader,
          body: body(model),
          concurrency: CONCURRENCY,
          requests: REQUESTS,
          warmup: WARMUP,
        });
        const loadEnded = performance.now();
        let drainSeconds = 0;
        if (placement !== 'none') {
          const answered = await rowsSince('ACTIVE', roundStart);
          const everyRow = placement !== 'api, sampled';
          for (;;) {
            await sleep(everyRow ? 100 : 500); // sampled: the last 25 ms windows, and more
            const scored = await rowsSince('SHADOW', roundStart);
            if (!everyRow || scored >= 2 * answered || performance.now() - loadEnded > DRAIN_TIMEOUT_MS) break;
          }
          drainSeconds = (performance.now() - loadEnded) / 1000;
          figures.scored.push((await rowsSince('SHADOW', roundStart)) / 2 / answered);
        }
        await scorer?.stop();
        if (workerProcess) await stopProcess(workerProcess);

        const { p50, p99 } = latencyPercentiles(result.latenciesMs);
        figures.perSecond.push(result.latenciesMs.length / result.seconds);
        figures.p50.push(p50);
        figures.p99.push(p99);
        figures.drainSeconds.push(drainSeconds);
        figures.errors += result.errors;
        console.error(`round ${round + 1}/${ROUNDS} ${placement}: ${Math.round(result.latenciesMs.length / result.seconds)}/s`);
      }
    }

    const baseline = median(perRound.none.perSecond);
    const rows: Row[] = PLACEMENTS.map((placement) => {
      const figures = perRound[placement];
      const perSecond = median(figures.perSecond);
      return {
        shadows: placement === 'none' ? 0 : 2,
        scored_by: placement,
        per_second: Math.round(perSecond),
        vs_no_shadows: `${perSecond >= baseline ? '+' : ''}${(((perSecond - baseline) / baseline) * 100).toFixed(1)}%`,
        p50_ms: median(figures.p50),
        p99_ms: median(figures.p99),
        shadow_scored: placement === 'none' ? '-' : `${(median(figures.scored) * 100).toFixed(0)}%`,
        last_shadow_row_s: placement === 'none' ? '-' : median(figures.drainSeconds).toFixed(1),
        errors: figures.errors,
      };
    });
    printTable(
      `predict over HTTP at c = ${CONCURRENCY}, 2 SHADOW versions scored on the API or on workers: ${TREES} trees × ${WIDTH} features, median over ${ROUNDS} interleaved rounds of ${REQUESTS} requests (after ${WARMUP} warm-up)`,
      rows,
    );
    console.log(
      `\nwrote ${writeResults('shadow-placement', {
        trees: TREES,
        features: WIDTH,
        concurrency: CONCURRENCY,
        rounds: ROUNDS,
        warmup: WARMUP,
        requestsPerRound: REQUESTS,
        results: rows,
        perRound,
      })}`,
    );
  } finally {
    await bench.close();
  }
}

runBench(main);
