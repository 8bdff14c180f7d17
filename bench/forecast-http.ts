/**
 * `forecast` over HTTP on a PatchTST of the paper's ETTh1 shape (L 336 × 7 channels in, H 96 × 7 out):
 * p50, p99 and throughput at concurrency 1 and 32 beside `{ __typename }` on the same server; and
 * `forecastBatch` windows per second at 256 histories over HTTP and through the service alone, beside
 * the bare ONNX predictor on the same windows, in interleaved rounds. The model is trained for one
 * epoch on the first 2,000 ETTh1 rows through the plugin (the figures are about serving, not accuracy)
 * and imported as the ONNX model it exported, with its declared shape.
 *
 *   KYBERNET_SHARED=../shared node -r @swc-node/register bench/forecast-http.ts      (DATABASE_URL: a Postgres server)
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { tableFromCsv } from '../src/lib/dataset-table';
import { toSequenceSet } from '../src/learning/sequence-set';
import { patchtstFamily } from '../src/plugins/patchtst';
import { sharedPath } from '../test/helpers/shared';
import { startBenchApp } from './lib/bench-app';
import { runBench } from './lib/entry';
import { runLoad } from './lib/http-load';
import { measureInRounds, median } from './lib/latency-rounds';
import { printTable, writeResults } from './lib/report';

const INPUT_LENGTH = 336;
const HORIZON = 96;
const TRAIN_ROWS = 2000;
const BATCH_WINDOWS = 256;
const ROUNDS = 3;
const BATCH_ROUNDS = 7;

async function main(): Promise<void> {
  const lines = readFileSync(sharedPath('data', 'ett', 'ETTh1.csv'), 'utf8')
    .trim()
    .split('\n');
  const table = tableFromCsv(lines.slice(0, TRAIN_ROWS + 1).join('\n'));
  const channels = table.columns.map((column) => column.name).filter((name) => name !== 'date');
  const params = patchtstFamily.hyperparameters.parse({ max_epochs: 1, seed: 1 });
  const set = toSequenceSet(table, { inputs: channels, targets: channels, orderBy: 'date' }, params);
  const ctx = {
    signal: new AbortController().signal,
    progress: () => undefined,
    log: (m: string) => console.log(`  ${m}`),
    seed: 1,
    threads: 2,
  };
  const trained = await patchtstFamily.train(set, params, ctx);

  const bench = await startBenchApp();
  try {
    await bench.app.services.lifecycle.importModel({
      model: 'ett-patchtst',
      family: 'patchtst',
      format: 'onnx',
      files: { 'model.onnx': trained.artifact.files['model.onnx'] },
      featureNames: channels,
      sequence: { inputLength: INPUT_LENGTH, horizon: HORIZON, inputChannels: channels, targets: channels },
      activate: true,
    });
    const width = channels.length;
    const histories = Array.from({ length: BATCH_WINDOWS }, (_, w) =>
      Array.from({ length: INPUT_LENGTH }, (_, t) => Array.from({ length: width }, (_, c) => set.values[(w * 3 + t) * width + c])),
    );
    const forecastBody = JSON.stringify({
      query: 'mutation($input: ForecastInput!) { forecast(input: $input) { id values } }',
      variables: { input: { model: 'ett-patchtst', history: histories[0] } },
    });
    const typenameBody = JSON.stringify({ query: '{ __typename }' });
    const load = (body: string, concurrency: number, requests: number, warmup: number) =>
      runLoad({ url: bench.http.url, key: bench.keys.trader, body, concurrency, requests, warmup });
    const cases = [
      { case: '{ __typename }', body: typenameBody, concurrency: 1, requests: 1000 },
      { case: 'forecast', body: forecastBody, concurrency: 1, requests: 300 },
      { case: '{ __typename }', body: typenameBody, concurrency: 32, requests: 4000 },
      { case: 'forecast', body: forecastBody, concurrency: 32, requests: 1000 },
    ];
    const { rows, perRound } = await measureInRounds({ url: bench.http.url, key: bench.keys.trader }, cases, ROUNDS, {
      first: 200,
      later: 50,
    });
    printTable(
      `forecast over HTTP: PatchTST ${INPUT_LENGTH} × ${width} → ${HORIZON} × ${width} (each logged); median over ${ROUNDS} interleaved rounds`,
      rows,
    );

    const batchBody = JSON.stringify({
      query: 'mutation($input: ForecastBatchInput!) { forecastBatch(input: $input) { id } }',
      variables: { input: { model: 'ett-patchtst', histories } },
    });
    const model = await bench.app.services.registry.getRegisteredModel('ett-patchtst');
    const predictor = await bench.app.services.serving.prepareVersion((await bench.app.services.registry.activeVersion(model.id))!);
    const flat = Float32Array.from(histories.flat(2));
    let batchErrors = 0;
    const timed = async (run: () => Promise<unknown>) => {
      const began = performance.now();
      await run();
      return performance.now() - began;
    };
    const batchCases = [
      {
        case: 'forecastBatch over HTTP (parse, score, log 256 rows)',
        run: async () => {
          const result = await load(batchBody, 1, 1, 0);
          batchErrors += result.errors;
          return result.latenciesMs[0];
        },
      },
      {
        case: 'serving.forecastBatch (no HTTP)',
        run: () => timed(() => bench.app.services.serving.forecastBatch({ model: 'ett-patchtst', histories })),
      },
      { case: 'bare ONNX predictor, same windows', run: () => timed(() => predictor.predict(flat, BATCH_WINDOWS)) },
    ];
    const batchTimes = batchCases.map(() => [] as number[]);
    for (let round = 0; round < BATCH_ROUNDS + 1; round++) {
      for (const [i, spec] of batchCases.entries()) {
        const ms = await spec.run();
        if (round >= 1) batchTimes[i].push(ms);
      }
    }
    const bareMs = median(batchTimes[batchCases.length - 1]);
    const batchTable = batchCases.map((spec, i) => {
      const p50 = median(batchTimes[i]);
      return {
        case: spec.case,
        windows: BATCH_WINDOWS,
        p50_ms: p50,
        windows_per_second: Math.round(BATCH_WINDOWS / (p50 / 1000)),
        vs_bare_predictor: `${((bareMs / p50) * 100).toFixed(0)}%`,
      };
    });
    printTable(`forecastBatch at ${BATCH_WINDOWS} windows, median over ${BATCH_ROUNDS} interleaved rounds`, batchTable);
    const load1 = loadavg()[0];
    console.log(`\nload average (1 min) at the end: ${load1.toFixed(2)}`);
    console.log(
      `wrote ${writeResults('forecast-http', {
        inputLength: INPUT_LENGTH,
        horizon: HORIZON,
        channels: width,
        rounds: ROUNDS,
        loadAverage1m: load1,
        forecast: rows,
        perRound,
        forecastBatch: batchTable,
        batchErrors,
      })}`,
    );
  } finally {
    await bench.close();
  }
}

runBench(main);
