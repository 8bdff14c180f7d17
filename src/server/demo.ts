/**
 * `kybernet demo`: the continuous-learning loop on the embedded defaults, told as it happens. A seeded
 * market of factor signals (lib/synthetic-factor-market.ts) is traded hour by hour through Kybernet's
 * services: paper trades become the trade-log dataset and version 1; the regime changes; a drift check
 * finds it and its response retrains the model into a SHADOW version, which live outcomes judge
 * against the ACTIVE one until it is promoted automatically. The story runs under its own policy
 * version; the defaults are then restored as a new version.
 *
 * Then the demo leaves what README.md's orchestrator loop needs (demo-orchestrator.ts: the DEMO bars
 * and the ACTIVE horizon models), serves on PORT and prints the next steps: a tradePrediction curl, a
 * promotionAlerts subscriber and how to sign in to the browser page. A data directory whose demo
 * already ran serves at once, creating no key: it says where the keys were printed and how to make one.
 */
import { isDeepStrictEqual } from 'node:util';
import { Presets, SingleBar } from 'cli-progress';
import { DEFAULT_POLICY } from '../config/policy';
import type { ModelVersionEntity } from '../entities/model-version.entity';
import { NotFoundError } from '../lib/errors';
import { FACTOR_NAMES, syntheticFactorMarket, type FactorHour, type FactorRegime } from '../lib/synthetic-factor-market';
import { mergePolicy, parsePolicy } from '../platform/policy/policy.service';
import type { App } from './app';
import { DEMO_SYMBOL, prepareOrchestratorData, type OrchestratorData } from './demo-orchestrator';
import type { HttpServer } from './http';

const MODEL = 'demo-factor-model';
const SYMBOL = 'SYN';
const HOUR_MS = 3_600_000;
const START = Date.UTC(2025, 0, 6);
const HYPERPARAMETERS = { num_boost_round: 60, max_depth: 4, eta: 0.2, early_stopping_rounds: 0, refit_on_all_rows: true, seed: 1 };
/** Live hours between looks at the shadow, and the most the demo trades waiting for a promotion. */
const ROUND_HOURS = 25;
const MAX_LIVE_HOURS = 600;
/** The story's policy: incremental updates and health-triggered retraining out of reach, so that drift alone answers the change. */
const STORY_POLICY = {
  learning: { min_trades_for_update: 1_000_000 },
  health: { min_win_rate: 0.05, critical_win_rate: 0.01, max_calibration_error: 1, max_directional_bias: 1, max_latency_p99_ms: 10_000 },
};
/** The one key the next steps use: an operator may trade and also build datasets and train, which README's orchestrator loop does. */
const DEMO_KEY_NAME = 'demo operator';

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
  await trades.logTradeOutcome({
    clientTradeId,
    exitPrice: hour.exitPrice,
    exitTime: new Date(START + (hour.index + 1) * HOUR_MS),
    exitReason: 'TIME',
  });
  return { hour, prediction: prediction && { value: prediction.value, version: prediction.modelVersion.version } };
}

async function tradeHours(
  app: App,
  next: (regime: FactorRegime) => FactorHour,
  count: number,
  regime: FactorRegime,
  withModel: boolean,
): Promise<TradedHour[]> {
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
    if (event.type === 'job.progress') bar.update(Math.round(event.payload.progress * 100), { message: event.payload.message ?? '' });
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
  const storyPolicy = await policy.updatePolicy(STORY_POLICY, null);
  console.log(
    `policy version ${storyPolicy.version} for the story: incremental updates and health-triggered retraining out of reach, so that drift alone answers the change\n`,
  );
  await registry.createRegisteredModel({
    name: MODEL,
    family: 'xgboost',
    description: `Next-hour return of ${SYMBOL} from its factor signals (demo)`,
  });

  await tradeHours(app, next, 400, 'CALM', false);
  const calmTrades = await features.materializeTradesDataset({ name: 'demo-calm-trades', spec: { symbols: [SYMBOL] } });
  console.log(
    `1. 400 hours of paper trades in the CALM regime, no model yet: trade-log dataset ${calmTrades.name} (${calmTrades.rowCount} trades)`,
  );
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
  console.log(
    `2. 150 CALM hours traded on version ${v1.version}'s predictions: hit rate ${pct(hitRate(calm))}; drift check: ${calmCheck.severity}`,
  );

  const changed = await tradeHours(app, next, 150, 'VOLATILE', true);
  console.log(`3. The regime changes. 150 VOLATILE hours: version ${v1.version}'s hit rate ${pct(hitRate(changed))}`);
  const check = await drift.checkDrift(MODEL);
  console.log(
    `   drift check: ${check.severity}, answered by ${check.event?.response ?? 'nothing'}\n${check.reasons.map((reason) => `     - ${reason}`).join('\n')}`,
  );
  const [retraining] = (await jobs.searchJobs({ kind: ['FULL', 'PARTIAL'], first: 1 })).nodes;
  if (!retraining) throw new Error(`the drift check (${check.severity}) queued no retraining`);
  const v2 = await followJob(app, retraining.id);
  const rebuilt = await datasets.getDataset(v2.datasetId!);
  console.log(
    `   version ${v2.version} ${v2.status}, trained by the ${retraining.kind} job on ${calmTrades.name} rebuilt with the trades stored now (${rebuilt.rowCount} trades); ${describeMetrics(v2)}` +
      ` — the held-out latest trades are the new regime's, which only the refit on all rows learned`,
  );

  console.log(
    `4. Live VOLATILE hours: every request is answered by version ${v1.version} (ACTIVE) and scored by version ${v2.version} (SHADOW) too`,
  );
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
  console.log(
    `   after ${MAX_LIVE_HOURS} hours version ${v2.version} is still being judged (${verdict.decision}): ${verdict.reasons.join('; ')}`,
  );
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

/**
 * Puts the default policy back in force as a new version, after the story (or when a stopped first start left the story's policy in force).
 */
async function restoreDefaultPolicy(app: App): Promise<void> {
  const { policy } = app.services;
  const story = parsePolicy(mergePolicy(DEFAULT_POLICY, STORY_POLICY));
  const current = await policy.current();
  if (!isDeepStrictEqual(current.document, story)) return;
  const restored = await policy.updatePolicy(DEFAULT_POLICY, null);
  console.log(
    `policy: the defaults are in force again, as policy version ${restored.version} (the story ran under version ${current.version})`,
  );
}

const count = (n: number) => n.toLocaleString('en-US');
const day = (date: Date) => date.toISOString().slice(0, 10);

function describeOrchestratorData({ bars, horizons }: OrchestratorData, step: string): string {
  const width = Math.max(...horizons.map((h) => h.model.length));
  const models = horizons.map(
    ({ model, version }) =>
      `     ${model.padEnd(width)}  v${version.version} ${version.status}, held-out directional accuracy ${pct(version.metrics.directional_accuracy)}`,
  );
  return [
    `${step}README.md's "An orchestrator's loop": ${count(bars.count)} daily bars of ${DEMO_SYMBOL}, a synthetic trending symbol (${day(bars.first)} to ${day(bars.last)}),`,
    '   and the horizon models tradePrediction asks, trained on them:',
    ...models,
  ].join('\n');
}

/** The API's address as a person on this machine types it (a wildcard listen address becomes localhost). */
function reachable(url: string): string {
  return url.replace(/\/\/(0\.0\.0\.0|\[::\])(?=:)/, '//localhost');
}

/** A first start shows the keys it made; a later one says where they were shown and how to make another. */
async function describeKeys(app: App, adminKey: string | undefined, demoKey: string | undefined): Promise<{ text: string; key: string }> {
  if (demoKey) {
    return {
      text: `${adminKey ? `  admin key:    ${adminKey}\n` : ''}  operator key: ${demoKey}   (shown only now; the next steps use it)`,
      key: demoKey,
    };
  }
  const keys = await app.services.apiKeys.listKeys();
  const made = keys
    .filter((k) => k.name === DEMO_KEY_NAME && !k.revokedAt)
    .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())[0];
  const where = made
    ? `the demo's operator key (${made.prefix}…) was printed by its first start on this data, at ${made.createdAt.toISOString().replace('T', ' ').slice(0, 16)} UTC`
    : 'the keys were printed when they were made';
  return {
    text:
      `  No new API keys (a key is shown only when it is made): ${where}. Make another with\n` +
      '    export KYBERNET_API_KEY=$(npm run --silent kybernet -- keys create --role operator)\n' +
      '  and the commands below use it.',
    key: '$KYBERNET_API_KEY',
  };
}

function nextSteps(http: HttpServer, key: string): string {
  const url = reachable(http.url);
  const wsUrl = reachable(http.wsUrl);
  const query = `mutation { tradePrediction(input: { symbol: "${DEMO_SYMBOL}" }) { direction confidence horizons { horizon expectedReturn } unavailable { horizon reason } } }`;
  return `Next steps, in another terminal in this checkout:

  Ask the horizon models about ${DEMO_SYMBOL} (tradePrediction, the first call of the README's orchestrator loop):

    curl -s ${url} -H 'content-type: application/json' -H "authorization: Bearer ${key}" \\
      -d '${JSON.stringify({ query })}'

  Hear every promotion, rollback and retirement as it happens (promotionAlerts over graphql-ws):

    npm run --silent kybernet -- subscribe --url ${wsUrl} --key "${key}" 'subscription { promotionAlerts { type payload } }'

  In a browser, open ${url} and paste the key into the page's API key field: it is sent as
  "Authorization: Bearer <key>" with every request (and as the authorization connection parameter of
  subscriptions). README.md's "An orchestrator's loop" runs there as printed, against ${DEMO_SYMBOL}.`;
}

/** `bootstrapKey`: the admin key the server made on this start (a fresh database), if it made one. */
export async function runDemo(app: App, http: HttpServer, bootstrapKey: string | undefined): Promise<void> {
  const toldBefore = await modelAlreadyThere(app);
  if (toldBefore) {
    const active = await app.services.registry.activeVersion((await app.services.registry.getRegisteredModel(MODEL)).id);
    console.log(
      active
        ? `The demo's story ran on an earlier start in this data directory; ${MODEL} serves version ${active.version}.`
        : `The demo's story began on an earlier start in this data directory and was stopped before ${MODEL} had an ACTIVE version; start on an empty KYBERNET_DATA_DIR to see it again.`,
    );
  } else {
    await tellTheStory(app, syntheticFactorMarket('kybernet:demo'));
  }
  await restoreDefaultPolicy(app);
  const data = await prepareOrchestratorData(app, (jobId) => followJob(app, jobId));
  console.log(describeOrchestratorData(data, toldBefore ? 'Ready for ' : '5. For '));
  const demoKey = toldBefore ? undefined : (await app.services.apiKeys.createKey('operator', DEMO_KEY_NAME)).key;
  const keys = await describeKeys(app, bootstrapKey, demoKey);
  console.log(`
Kybernet is serving GraphQL on ${reachable(http.url)} (subscriptions on ${reachable(http.wsUrl)}).

${keys.text}

${nextSteps(http, keys.key)}

Press Ctrl-C to stop.`);
}
