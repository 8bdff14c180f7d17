/**
 * What `kybernet demo` leaves for README.md's "An orchestrator's loop", so that the loop runs against the
 * demo's server as printed: daily bars of the synthetic symbol DEMO in the store (a seeded trending
 * market, lib/synthetic-market.ts, on the weekdays of 2015–2019 — one regime, so that the held-out
 * latest rows are like the rest; the story shows a regime change — prices scaled so that the last close
 * is 100.00 and volumes so that the median day trades 1,000,000), and the horizon
 * models tradePrediction asks (the default policy's trade_prediction.horizons: returns-1d, returns-5d,
 * returns-10d), each trained on the DEMO bars with a forward-return label and ACTIVE.
 *
 * Every step looks before it acts, so a later start on the same data finds everything and only says so.
 */
import { DEFAULT_POLICY } from '../config/policy';
import type { ModelVersionEntity } from '../entities/model-version.entity';
import type { Bar } from '../lib/bars';
import { NotFoundError } from '../lib/errors';
import { FEATURE_NAMES } from '../market/features';
import { DEFAULT_SYNTHETIC_REGIMES, generateSyntheticMarket } from '../lib/synthetic-market';
import type { App } from './app';

export const DEMO_SYMBOL = 'DEMO';
/** The first and last day of the DEMO bars (weekdays only; README's ingestBars example adds the next ones). */
const DEMO_FIRST_DAY = '2015-01-01';
const DEMO_LAST_DAY = '2019-12-31';
const DAY_MS = 86_400_000;
const HORIZON_HYPERPARAMETERS = { num_boost_round: 60, max_depth: 3, eta: 0.05 };

export interface HorizonModel {
  horizon: number;
  model: string;
  version: ModelVersionEntity;
  /** True when this start trained it. */
  trained: boolean;
}

export interface OrchestratorData {
  bars: { count: number; first: Date; last: Date; ingested: boolean };
  horizons: HorizonModel[];
}

function weekdays(first: string, last: string): number[] {
  const days: number[] = [];
  for (let t = Date.parse(`${first}T00:00:00Z`); t <= Date.parse(`${last}T00:00:00Z`); t += DAY_MS) {
    const weekday = new Date(t).getUTCDay();
    if (weekday !== 0 && weekday !== 6) days.push(t);
  }
  return days;
}

const cents = (value: number) => Math.round(value * 100) / 100;

/** The DEMO bars: the synthetic market on weekdays, scaled to a last close of 100.00 and a median volume of 1,000,000. */
function demoBars(): Bar[] {
  const days = weekdays(DEMO_FIRST_DAY, DEMO_LAST_DAY);
  const [trending] = DEFAULT_SYNTHETIC_REGIMES;
  const market = generateSyntheticMarket({
    seed: 'kybernet:demo-bars',
    symbols: [DEMO_SYMBOL],
    regimes: [{ ...trending, bars: days.length }],
  });
  const raw = market.bars[DEMO_SYMBOL];
  const priceScale = 100 / raw[raw.length - 1].close;
  const volumes = raw.map((bar) => bar.volume).sort((a, b) => a - b);
  const volumeScale = 1_000_000 / volumes[Math.floor(volumes.length / 2)];
  return raw.map((bar, i) => {
    const open = cents(bar.open * priceScale);
    const close = cents(bar.close * priceScale);
    return {
      ...bar,
      timestamp: days[i],
      open,
      high: Math.max(cents(bar.high * priceScale), open, close),
      low: Math.min(cents(bar.low * priceScale), open, close),
      close,
      volume: Math.round(bar.volume * volumeScale),
    };
  });
}

async function ensureBars(app: App): Promise<OrchestratorData['bars']> {
  const { bars } = app.services;
  const stored = await bars.latestBars(DEMO_SYMBOL, '1d', 1);
  const ingested = stored.length === 0;
  if (ingested) await bars.ingestBars(demoBars());
  const series = await bars.loadSeries({ symbol: DEMO_SYMBOL, timeframe: '1d' });
  return { count: series.length, first: new Date(series[0].timestamp), last: new Date(series[series.length - 1].timestamp), ingested };
}

async function activeVersionOf(app: App, name: string): Promise<ModelVersionEntity | null> {
  try {
    const model = await app.services.registry.getRegisteredModel(name);
    return await app.services.registry.activeVersion(model.id);
  } catch (error) {
    if (error instanceof NotFoundError) return null;
    throw error;
  }
}

/**
 * Trains the horizon model on its dataset of DEMO bars (made when missing) and activates it;
 * `waitForVersion` follows the TRAIN job to the version it registered.
 */
async function trainHorizonModel(
  app: App,
  horizon: number,
  model: string,
  waitForVersion: (jobId: string) => Promise<ModelVersionEntity>,
): Promise<ModelVersionEntity> {
  const { datasets, features, registry, training } = app.services;
  const datasetName = `demo-returns-${horizon}d`;
  const dataset = await datasets.getDataset(datasetName).catch(async (error: unknown) => {
    if (!(error instanceof NotFoundError)) throw error;
    return features.materializeBarsDataset({
      name: datasetName,
      description: `${DEMO_SYMBOL} daily bars (demo) with the ${horizon}-day forward return`,
      spec: { symbols: [DEMO_SYMBOL], label: { kind: 'forward_return', horizon } },
    });
  });
  await registry.getRegisteredModel(model).catch(async (error: unknown) => {
    if (!(error instanceof NotFoundError)) throw error;
    return registry.createRegisteredModel({
      name: model,
      family: 'xgboost',
      description: `${horizon}-day forward return from daily bar features (demo, on ${DEMO_SYMBOL})`,
    });
  });
  const job = await training.trainModel({
    model,
    dataset: dataset.name,
    targetColumn: `forward_return_${horizon}`,
    featureColumns: [...FEATURE_NAMES],
    orderColumn: 'timestamp',
    hyperparameters: { ...HORIZON_HYPERPARAMETERS, seed: horizon },
    activate: true,
  });
  return waitForVersion(job.id);
}

/** Makes sure the DEMO bars and the ACTIVE horizon models are there; returns what there is, and what this call made. */
export async function prepareOrchestratorData(
  app: App,
  waitForVersion: (jobId: string) => Promise<ModelVersionEntity>,
): Promise<OrchestratorData> {
  const bars = await ensureBars(app);
  const horizons: HorizonModel[] = [];
  const mapped = Object.entries(DEFAULT_POLICY.trade_prediction.horizons).map(([days, model]) => ({ horizon: Number(days), model }));
  for (const { horizon, model } of mapped.sort((a, b) => a.horizon - b.horizon)) {
    const active = await activeVersionOf(app, model);
    horizons.push(
      active
        ? { horizon, model, version: active, trained: false }
        : { horizon, model, version: await trainHorizonModel(app, horizon, model, waitForVersion), trained: true },
    );
  }
  return { bars, horizons };
}
