/**
 * A sequence model as a horizon model of tradePrediction, over HTTP: an N-HiTS model trained on a SERIES
 * dataset of log returns forecasts from the last rows of that dataset rebuilt from the stored bars, and its
 * forecast of the close return compounds into each horizon's expected return (exp(Σ) − 1 over the horizon's
 * steps, read back here from the predictions log); the prediction id it answers with carries a trade. Too few
 * bars, a model of price levels and a horizon beyond the model's are refused with the reason.
 */
import { jStat } from 'jstat';
import seedrandom from 'seedrandom';
import {
  CreateMaterializedDatasetDocument,
  CreateRegisteredModelDocument,
  IngestBarsDocument,
  LogTradeExecutionDocument,
  LogTradeOutcomeDocument,
  SequenceHorizonPredictionsDocument,
  TradePredictionDocument,
  TrainModelDocument,
  UpdatePolicyPatchDocument,
  type BarInput,
} from '../../generated/graphql';
import { startTestApp, type TestApp } from '../../helpers/app';
import { waitForJob } from '../../helpers/fixtures';
import { dataOf, errorOf } from '../../helpers/graphql';

const SYMBOL = 'SEQ';
const INPUT_LENGTH = 16;
const HORIZON = 4;
const DAY_MS = 86_400_000;
const START = Date.UTC(2023, 0, 2);

/** A seeded random walk of daily closes (log returns ~ N(0.0005, 0.012²)). */
const closes = (() => {
  const random = seedrandom('sequence-horizon');
  const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const values = [100];
  for (let i = 1; i < 300; i++) values.push(values[i - 1] * Math.exp(0.0005 + 0.012 * normal()));
  return values;
})();
const time = (i: number) => new Date(START + i * DAY_MS).toISOString();
const bars: BarInput[] = closes.map((close, i) => {
  const open = i === 0 ? close : closes[i - 1];
  return {
    symbol: SYMBOL,
    timeframe: '1d',
    timestamp: time(i),
    open,
    high: Math.max(open, close) * 1.002,
    low: Math.min(open, close) * 0.998,
    close,
    volume: 1000 + i,
  };
});
/** The log returns of the INPUT_LENGTH bars up to bar `last`, oldest first: the history a forecast at that bar reads. */
const historyAt = (last: number) =>
  Array.from({ length: INPUT_LENGTH }, (_, r) => Math.log(closes[last - INPUT_LENGTH + 1 + r] / closes[last - INPUT_LENGTH + r]));

let t: TestApp;

async function trainSequenceModel(model: string, dataset: string): Promise<void> {
  dataOf(await t.as('operator')(CreateRegisteredModelDocument, { input: { name: model, family: 'nhits' } }));
  const job = dataOf(
    await t.as('operator')(TrainModelDocument, {
      input: {
        model,
        dataset,
        featureColumns: [`${SYMBOL}.close`],
        orderColumn: 'time',
        hyperparameters: { input_length: INPUT_LENGTH, horizon: HORIZON, max_epochs: 2, mlp_units: [16, 16], seed: 1 },
        activate: true,
      },
    }),
  ).trainModel;
  const done = await waitForJob(t, job.id, 120_000);
  expect(done).toMatchObject({ status: 'COMPLETED', modelVersion: { version: 1, status: 'ACTIVE' } });
}

async function setHorizons(horizons: Record<string, string>): Promise<void> {
  dataOf(await t.as('operator')(UpdatePolicyPatchDocument, { patch: { trade_prediction: { horizons } } }));
}

async function loggedForecast(id: string) {
  const { nodes } = dataOf(await t.as('viewer')(SequenceHorizonPredictionsDocument, { filter: { ids: [id] } })).predictions;
  expect(nodes).toHaveLength(1);
  const [{ features }]: { features: number[] }[] = await t.dataSource.query(
    'SELECT features::float8[] AS features FROM predictions WHERE id = $1',
    [id],
  );
  return { ...nodes[0], features };
}

beforeAll(async () => {
  t = await startTestApp();
  dataOf(await t.as('operator')(IngestBarsDocument, { input: { bars } }));
  for (const [name, returns] of [
    ['seq-log-returns', { returns: true, returnKind: 'LOG' as const }],
    ['seq-levels', {}],
  ] as const) {
    dataOf(await t.as('operator')(CreateMaterializedDatasetDocument, { input: { name, series: { symbols: [SYMBOL], ...returns } } }));
  }
  await trainSequenceModel('seq-returns', 'seq-log-returns');
  await trainSequenceModel('seq-prices', 'seq-levels');
}, 300_000);
afterAll(async () => {
  await t?.close();
});

describe('a sequence model as a horizon model of tradePrediction', () => {
  it('forecasts once from the latest bars, each horizon compounding its first steps, and carries a trade', async () => {
    await setHorizons({ '2': 'seq-returns', [String(HORIZON)]: 'seq-returns' });
    const answer = dataOf(await t.as('trader')(TradePredictionDocument, { input: { symbol: SYMBOL } })).tradePrediction;
    expect(answer.asOf).toBe(time(closes.length - 1));
    expect(answer.unavailable).toEqual([]);
    expect(answer.horizons.map((h) => [h.horizon, h.model])).toEqual([
      [2, 'seq-returns'],
      [HORIZON, 'seq-returns'],
    ]);
    const [id] = answer.predictionIds;
    expect(answer.predictionIds).toEqual([id]);
    for (const h of answer.horizons) expect(h.prediction).toMatchObject({ id, requestId: answer.requestId });

    // The logged ACTIVE row: its history is the last log returns of the bars, its outputs the forecast.
    const logged = await loggedForecast(id);
    expect(logged).toMatchObject({ role: 'ACTIVE', requestId: answer.requestId });
    expect(logged.outputs.map((output) => output.name)).toEqual(Array.from({ length: HORIZON }, (_, h) => `${SYMBOL}.close@${h + 1}`));
    historyAt(closes.length - 1).forEach((value, r) => expect(logged.features[r]).toBeCloseTo(value, 7));
    const steps = logged.outputs.map((output) => output.value!);
    const expected = [Math.exp(steps[0] + steps[1]) - 1, Math.exp(steps.reduce((a, b) => a + b, 0)) - 1];
    answer.horizons.forEach((h, i) => expect(h.expectedReturn).toBeCloseTo(expected[i], 12));

    // The error scale of h steps: √h × the version's per-step rmse.
    const rmse = (logged.modelVersion.metrics as { rmse: number }).rmse;
    expect(rmse).toBeGreaterThan(0);
    answer.horizons.forEach((h, i) =>
      expect(h.probabilityUp).toBeCloseTo(jStat.normal.cdf(expected[i] / (Math.sqrt(h.horizon) * rmse), 0, 1), 12),
    );

    // The forecast's id carries a trade; closing it writes no scalar outcome for the forecast (recordTradeOutcomes skips it).
    const entry = closes.at(-1)!;
    const trade = {
      clientTradeId: 'seq-trade-1',
      symbol: SYMBOL,
      side: 'LONG' as const,
      quantity: 10,
      entryPrice: entry,
      entryTime: time(closes.length - 1),
      strategy: 'trend_follow',
      modelConfidence: answer.confidence,
      predictionIds: answer.predictionIds,
      features: answer.features,
    };
    dataOf(await t.as('trader')(LogTradeExecutionDocument, { input: trade }));
    const closed = dataOf(
      await t.as('trader')(LogTradeOutcomeDocument, {
        input: {
          clientTradeId: trade.clientTradeId,
          exitPrice: entry * 1.01,
          exitTime: time(closes.length + 1),
          exitReason: 'TAKE_PROFIT',
        },
      }),
    ).logTradeOutcome;
    expect(closed.trade).toMatchObject({ status: 'CLOSED', predictionIds: [id] });
    const outcomes: unknown[] = await t.dataSource.query(`SELECT 1 FROM request_outcomes WHERE request_id = $1 AND source = 'TRADE'`, [
      answer.requestId,
    ]);
    expect(outcomes).toEqual([]);
  });

  it('with features sent, reads the bars up to asOf, and refuses when they are too few', async () => {
    await setHorizons({ [String(HORIZON)]: 'seq-returns' });
    const at = 100;
    const answer = dataOf(
      await t.as('trader')(TradePredictionDocument, { input: { symbol: SYMBOL, features: { vol_20: 0.012 }, asOf: time(at) } }),
    ).tradePrediction;
    const logged = await loggedForecast(answer.predictionIds[0]);
    historyAt(at).forEach((value, r) => expect(logged.features[r]).toBeCloseTo(value, 7));

    // 10 bars give 9 log returns, fewer than the model's 16.
    const refused = errorOf(
      await t.as('trader')(TradePredictionDocument, { input: { symbol: SYMBOL, features: { vol_20: 0.012 }, asOf: time(9) } }),
    );
    expect(refused.code).toBe('CONFLICT');
    expect(refused.message).toBe(
      `no horizon model can answer for ${SYMBOL}: ${HORIZON}d (seq-returns): ` +
        `version 1 of "seq-returns" reads the last ${INPUT_LENGTH} rows of its SERIES dataset: ` +
        `expects ${INPUT_LENGTH} rows of ${SYMBOL} 1d at or before ${time(9)} (log returns: one bar more, the first return's base), ` +
        `but the store has 10 bars of ${SYMBOL}; ingest more bars with ingestBars`,
    );
  });

  it('reports a model of price levels, and a horizon beyond the model’s steps, unavailable', async () => {
    await setHorizons({ '2': 'seq-returns', '3': 'seq-prices', '8': 'seq-returns' });
    const answer = dataOf(await t.as('trader')(TradePredictionDocument, { input: { symbol: SYMBOL } })).tradePrediction;
    expect(answer.horizons.map((h) => h.horizon)).toEqual([2]);
    expect(answer.unavailable).toEqual([
      {
        horizon: 3,
        model: 'seq-prices',
        reason:
          'version 1 of "seq-prices" forecasts price levels, not returns (its SERIES dataset "seq-levels" has returns: false); ' +
          'train it on a SERIES dataset with returns: true',
      },
      {
        horizon: 8,
        model: 'seq-returns',
        reason:
          `version 1 of "seq-returns" forecasts ${HORIZON} bars ahead, fewer than this horizon's 8; ` +
          `map it to a horizon of at most ${HORIZON}`,
      },
    ]);

    await setHorizons({ '3': 'seq-prices' });
    const refused = errorOf(await t.as('trader')(TradePredictionDocument, { input: { symbol: SYMBOL } }));
    expect(refused.message).toMatch(
      /^no horizon model can answer for SEQ: 3d \(seq-prices\): version 1 of "seq-prices" forecasts price levels/,
    );
  });
});
