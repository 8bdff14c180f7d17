/**
 * `kybernet demo`: the continuous-learning loop on the embedded defaults, told as it happens. A seeded
 * market of factor signals (lib/synthetic-factor-market.ts) is traded hour by hour through Kybernet's
 * services: paper trades become the trade-log dataset and version 1; the regime changes; a drift check
 * finds it and its response retrains the model into a SHADOW version, which live outcomes judge
 * against the ACTIVE one until it is promoted automatically. Then the API serves on PORT, with keys
 * and a ready-to-run `predict` printed. A data directory whose demo already ran just serves.
 */
import { Presets, SingleBar } from 'cli-progress';
import type { ModelVersionEntity } from '../entities/model-version.entity';
import { NotFoundError } from '../lib/errors';
import { FACTOR_NAMES, syntheticFactorMarket, type FactorHour, type FactorRegime } from '../lib/synthetic-factor-market';
import type { App } from './app';
import type { HttpServer } from './http';

const MODEL = 'demo-factor-model';
const SYMBOL = 'SYN';
const HOUR_MS = 3_600_000;
const START = Date.UTC(2025, 0, 6);
const HYPERPARAMETERS = { num_boost_round: 60, max_depth: 4, eta: 0.2, early_stopping_rounds: 0, refit_on_all_rows: true, seed: 1 };
/** Live hours between looks at the shadow, and the most the demo trades waiting for a promotion. */
const ROUND_HOURS = 25;
const MAX_LIVE_HOURS = 600;

interface TradedHour {
  hour: FactorHour;
  prediction?: { value: number | null; version: number };
}

const pct = (value: number) => `${(value * 100).toFixed(1)}%`;

function hitRate(hours: TradedHour[]): number {
  return hours.filter(({ hour, prediction }) => Math.sign(prediction!.value ?? 0) === Math.sign(hour.ret)).length / hours.length;
}

/** One hour of an orchestrator: with a model, predict and trade its sign; without, go long. The trade closes an hour later. */
async function tradeHour(app: App, hour: FactorHour, withModel: boolean): Promise<TradedHour> {
  const { serving, trades } = app.services;
  const prediction = withModel ? await serving.predict({ model: MODEL, features: hour.features }) : undefined;
  const clientTradeId = `demo-${hour.index}`;
  await trades.logTradeExecution({
    clientTradeId,
    symbol: SYMBOL,
    side: (prediction?.value ?? 1) >= 0 ? 'LONG' : 'SHORT',
    quantity: 10,
    entryPrice: hour.entryPrice,
    entryTime: new Date(START + hour.index * HOUR_MS),
    predictionIds: prediction ? [prediction.id] : [],
    features: Object.fromEntries(FACTOR_NAMES.map((name, j) => [name, hour.features[j]])),
    strategy: 'factor',
  });
  await trades.logTradeOutcome({ clientTradeId, exitPrice: hour.exitPrice, exitTime: new Date(START + (hour.index + 1) * HOUR_MS), exitReason: 'TIME' });
  return { hour, prediction: prediction && { value: prediction.value, version: prediction.modelVersion.version } };
}

async function tradeHours(app: App, next: (regime: FactorRegime) => FactorHour, count: number, regime: FactorRegime, withModel: boolean): Promise<TradedHour[]> {
  const traded: TradedHour[] = [];
  for (let i = 0; i < count; i++) traded.push(await tradeHour(app, next(regime), withModel));
  return traded;
}

/** Draws a job's progress until it ends; returns the version it registered. */
async function followJob(app: App, jobId: string): Promise<ModelVersionEntity> {
  const { eventStream, jobs, registry } = app.services;
  const bar = new SingleBar({ format: '   training {bar} {percentage}% | {message}', hideCursor: true }, Presets.shades_classic);
  bar.start(100, 0, { message: 'queued' });
  for await (const event of eventStream.subscribe({ jobId }, '0')) {
    if (event.type === 'job.progress') bar.update(Math.round(Number(event.payload.progress) * 100), { message: String(event.payload.message ?? '') });
    if (event.type === 'job.completed' || event.type === 'job.failed' || event.type === 'job.cancelled') {
      bar.update(event.type === 'job.completed' ? 100 : bar.getProgress() * 100, { message: event.type });
      break;
    }
  }
  bar.stop();
  const job = await jobs.getJob(jobId);
  if (job.status !== 'COMPLETED' || !job.modelVersionId) throw new Error(`the demo's training job ended ${job.status}: ${job.error}`);
  return registry.getModelVersion(job.modelVersionId);
}

/** The metrics of the fit that held out the latest trades (the version itself is then refit on all of them). */
const describeMetrics = (version: ModelVersionEntity) =>
  `held-out validation: directional accuracy ${pct(version.metrics.directional_accuracy)}, rmse ${version.metrics.rmse.toPrecision(3)}`;

async function tellTheStory(app: App, next: (regime: FactorRegime) => FactorHour): Promise<void> {
  const { datasets, drift, features, jobs, policy, registry, shadow, training } = app.services;
  console.log(`
Kybernet demo: a seeded market of four factor signals (${FACTOR_NAMES.join(', ')}) that changes regime, and the
loop that keeps a model of it learning. Every step below goes through Kybernet's services and Postgres.`);
  await policy.updatePolicy(
    {
      learning: { min_trades_for_update: 1_000_000 },
      health: { min_win_rate: 0.05, critical_win_rate: 0.01, max_calibration_error: 1, max_directional_bias: 1, max_latency_p99_ms: 10_000 },
    },
    null,
  );
  console.log('demo policy: incremental updates and health-triggered retraining out of reach, so that drift alone answers the change\n');
  await registry.createRegisteredModel({ name: MODEL, family: 'xgboost', description: `Next-hour return of ${SYMBOL} from its factor signals (demo)` });

  await tradeHours(app, next, 400, 'CALM', false);
  const calmTrades = await features.materializeTradesDataset({ name: 'demo-calm-trades', spec: { symbols: [SYMBOL] } });
  console.log(`1. 400 hours of paper trades in the CALM regime, no model yet: trade-log dataset ${calmTrades.name} (${calmTrades.rowCount} trades)`);
  const first = await training.trainModel({
    model: MODEL,
    dataset: calmTrades.name,
    targetColumn: 'price_return',
    featureColumns: [...FACTOR_NAMES],
    orderColumn: 'entry_time',
    hyperparameters: HYPERPARAMETERS,
    activate: true,
  });
  const v1 = await followJob(app, first.id);
  console.log(`   version ${v1.version} ACTIVE: ${describeMetrics(v1)}`);

  const calm = await tradeHours(app, next, 150, 'CALM', true);
  const calmCheck = await drift.checkDrift(MODEL);
  console.log(`2. 150 CALM hours traded on version ${v1.version}'s predictions: hit rate ${pct(hitRate(calm))}; drift check: ${calmCheck.severity}`);

  const changed = await tradeHours(app, next, 150, 'VOLATILE', true);
  console.log(`3. The regime changes. 150 VOLATILE hours: version ${v1.version}'s hit rate ${pct(hitRate(changed))}`);
  const check = await drift.checkDrift(MODEL);
  console.log(`   drift check: ${check.severity}, answered by ${check.event?.response ?? 'nothing'}\n${check.reasons.map((reason) => `     - ${reason}`).join('\n')}`);
  const [retraining] = (await jobs.searchJobs({ kind: ['FULL', 'PARTIAL'], first: 1 })).nodes;
  if (!retraining) throw new Error(`the drift check (${check.severity}) queued no retraining`);
  const v2 = await followJob(app, retraining.id);
  const rebuilt = await datasets.getDataset(v2.datasetId!);
  console.log(
    `   version ${v2.version} ${v2.status}, trained by the ${retraining.kind} job on ${rebuilt.name} (${rebuilt.rowCount} trades); ${describeMetrics(v2)}` +
      ` — the held-out latest trades are the new regime's, which only the refit on all rows learned`,
  );

  console.log(`4. Live VOLATILE hours: every request is answered by version ${v1.version} (ACTIVE) and scored by version ${v2.version} (SHADOW) too`);
  for (let hours = ROUND_HOURS; hours <= MAX_LIVE_HOURS; hours += ROUND_HOURS) {
    await tradeHours(app, next, ROUND_HOURS, 'VOLATILE', true);
    const status = (await registry.getModelVersion(v2.id)).status;
    if (status === 'SHADOW') continue;
    const verdict = await shadow.shadowEvaluation(v2.id);
    const figures = verdict.comparison!;
    console.log(
      `   after ${hours} hours, version ${v2.version} ${status === 'ACTIVE' ? 'was promoted automatically' : `was ${status}`}: ` +
        `${figures.samples} outcomes, hit rate ${pct(figures.shadow.hitRate ?? 0)} against ${pct(figures.active.hitRate ?? 0)}, ` +
        `loss ${figures.improvementPct?.toFixed(1)}% lower, Diebold–Mariano p = ${figures.test?.pValue.toExponential(1)}`,
    );
    return;
  }
  const verdict = await shadow.shadowEvaluation(v2.id);
  console.log(`   after ${MAX_LIVE_HOURS} hours version ${v2.version} is still being judged (${verdict.decision}): ${verdict.reasons.join('; ')}`);
}

async function modelAlreadyThere(app: App): Promise<boolean> {
  try {
    await app.services.registry.getRegisteredModel(MODEL);
    return true;
  } catch (error) {
    if (error instanceof NotFoundError) return false;
    throw error;
  }
}

export async function runDemo(app: App, http: HttpServer, adminKey: string): Promise<void> {
  const next = syntheticFactorMarket('kybernet:demo');
  if (await modelAlreadyThere(app)) {
    const active = await app.services.registry.activeVersion((await app.services.registry.getRegisteredModel(MODEL)).id);
    console.log(`The demo's story ran on an earlier start in this data directory; ${MODEL} serves version ${active?.version}.`);
  } else {
    await tellTheStory(app, next);
  }
  const { key } = await app.services.apiKeys.createKey('trader', 'demo trader');
  const body = JSON.stringify({
    query: 'mutation($input: PredictInput!) { predict(input: $input) { id value latencyMs modelVersion { version status } } }',
    variables: { input: { model: MODEL, features: next('VOLATILE').features } },
  });
  console.log(`
Kybernet is serving GraphQL on ${http.url} (subscriptions on ${http.wsUrl}).

  admin key:  ${adminKey}
  trader key: ${key}

Ask the ACTIVE model for a prediction (features: ${FACTOR_NAMES.join(', ')}):

  curl -s ${http.url} -H 'content-type: application/json' -H 'authorization: Bearer ${key}' \\
    -d '${body}'

Press Ctrl-C to stop.`);
}
