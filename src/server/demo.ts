/**
 * `kybernet demo`: the whole loop on the embedded defaults. A seeded synthetic market (with a regime
 * change) becomes a feature dataset; an XGBoost model is trained on it with a progress bar, registered
 * and promoted; the API serves on PORT, and an API key and a ready-to-run `predict` are printed.
 */
import { SingleBar, Presets } from 'cli-progress';
import { buildFeatureTable, labelColumnName } from '../lib/feature-table';
import { FEATURE_NAMES } from '../lib/features';
import { generateSyntheticMarket } from '../lib/synthetic-market';
import { NotFoundError } from '../lib/errors';
import type { App } from './app';
import type { HttpServer } from './http';

const MODEL = 'demo-momentum';
const DATASET = 'demo-synthetic-market-seed-7';
const LABEL = { kind: 'forward_return', horizon: 1 } as const;

async function ensureDataset(app: App) {
  const { datasets } = app.services;
  try {
    return await datasets.getDataset(DATASET);
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
    const market = generateSyntheticMarket({ seed: 7, symbols: ['SYN_A', 'SYN_B', 'SYN_C', 'SYN_D'] });
    const table = buildFeatureTable(market.bars, LABEL);
    const regimes = market.regimes.map((regime) => `${regime.name} (${regime.endIndex - regime.startIndex} bars)`).join(' → ');
    console.log(`synthetic market: ${market.symbols.length} symbols, regimes ${regimes}; ${table.rowCount} feature rows`);
    return datasets.saveTable({ name: DATASET, source: 'BARS', table, description: 'Seeded synthetic market (seed 7), daily bars, next-bar return label', spec: { seed: 7, label: LABEL } });
  }
}

async function ensureModel(app: App) {
  try {
    return await app.services.registry.getRegisteredModel(MODEL);
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
    return app.services.registry.createRegisteredModel({ name: MODEL, family: 'xgboost', description: 'Next-bar return from technical features (demo)' });
  }
}

/** Trains a new version and waits for it, drawing the job's progress. */
async function trainWithProgress(app: App): Promise<void> {
  const { training, eventStream, jobs } = app.services;
  const bar = new SingleBar({ format: 'training {bar} {percentage}% | {message}', hideCursor: true }, Presets.shades_classic);
  const job = await training.trainModel({
    model: MODEL,
    dataset: DATASET,
    targetColumn: labelColumnName(LABEL),
    featureColumns: [...FEATURE_NAMES],
    orderColumn: 'timestamp',
    hyperparameters: { num_boost_round: 200, max_depth: 4, eta: 0.05, early_stopping_rounds: 20, seed: 7 },
    activate: true,
  });
  bar.start(100, 0, { message: 'queued' });
  for await (const event of eventStream.subscribe({ jobId: job.id }, '0')) {
    if (event.type === 'job.progress') bar.update(Math.round(Number(event.payload.progress) * 100), { message: String(event.payload.message ?? '') });
    if (event.type === 'job.completed' || event.type === 'job.failed' || event.type === 'job.cancelled') {
      bar.update(event.type === 'job.completed' ? 100 : bar.getProgress() * 100, { message: event.type });
      break;
    }
  }
  bar.stop();
  const finished = await jobs.getJob(job.id);
  if (finished.status !== 'COMPLETED') throw new Error(`training ${finished.status}: ${finished.error}`);
  console.log(`trained and promoted ${MODEL} v${finished.result?.version}: ${JSON.stringify(finished.result?.metrics)}`);
}

export async function runDemo(app: App, http: HttpServer, adminKey: string): Promise<void> {
  await ensureDataset(app);
  await ensureModel(app);
  await trainWithProgress(app);
  const { key } = await app.services.apiKeys.createKey('trader', 'demo trader');
  const table = await app.services.datasets.loadTable(await app.services.datasets.getDataset(DATASET));
  const last = table.rowCount - 1;
  const features = FEATURE_NAMES.map((name) => table.data[table.columns.findIndex((column) => column.name === name)][last]);
  const body = JSON.stringify({
    query: 'mutation($input: PredictInput!) { predict(input: $input) { id value latencyMs modelVersion { version status } } }',
    variables: { input: { model: MODEL, features } },
  });
  console.log(`
Kybernet is serving GraphQL on ${http.url} (subscriptions on ${http.wsUrl}).

  admin key:  ${adminKey}
  trader key: ${key}

Ask the ACTIVE model for a prediction:

  curl -s ${http.url} -H 'content-type: application/json' -H 'authorization: Bearer ${key}' \\
    -d '${body}'

Press Ctrl-C to stop.`);
}
