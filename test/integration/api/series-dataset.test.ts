/**
 * Time-series datasets from stored bars over HTTP, with the dataset in a real S3 bucket (s3rver): bars
 * of two symbols ingested with ingestBars, aligned on the times both have, as levels or returns; the
 * refusals (nothing written, in Postgres or the bucket); and the rebuild retraining asks for.
 */
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import {
  CreateMaterializedDatasetDocument,
  IngestBarsDocument,
  type BarField,
  type BarInput,
  type SeriesDatasetInput,
} from '../../generated/graphql';
import { startTestApp, type TestApp } from '../../helpers/app';
import { dataOf, errorOf } from '../../helpers/graphql';
import { S3RVER_CREDENTIALS, startS3rver, type RunningS3rver } from '../../helpers/s3rver';

let s3: RunningS3rver;
let t: TestApp;
const savedEnv = { ...process.env };

beforeAll(async () => {
  s3 = await startS3rver('kybernet-series');
  process.env.AWS_ACCESS_KEY_ID = S3RVER_CREDENTIALS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = S3RVER_CREDENTIALS.secretAccessKey;
  t = await startTestApp({ worker: false, env: { S3_BUCKET: s3.bucket, S3_ENDPOINT: s3.endpoint, S3_PREFIX: 'series' } });
  await ingest([
    ...daily('SPY', [1, 2, 3, 5, 6, 7, 8], (d) => [100 + d, 1000 * d]),
    ...daily('BTC/USD', [1, 2, 3, 4, 5, 7, 8], (d) => [20_000 + 100 * d, d / 4]),
    ...daily('ZVOL', [1, 2, 3, 4, 5], (d) => [10 + d, [5, 6, 0, 8, 9][d - 1]]),
    ...daily('LONER', [2, 4, 20], (d) => [50, 1]),
  ]);
});
afterAll(async () => {
  await t?.close();
  await s3?.stop();
  process.env = savedEnv;
});

const day = (d: number) => Date.UTC(2024, 0, d);
const iso = (ms: number) => new Date(ms).toISOString();

/** Daily bars of `symbol` in January 2024 with (close, volume) of each day; open, high and low at the close. */
function daily(symbol: string, days: number[], values: (d: number) => [close: number, volume: number]): BarInput[] {
  return days.map((d) => {
    const [close, volume] = values(d);
    return { symbol, timeframe: '1d', timestamp: iso(day(d)), open: close, high: close, low: close, close, volume };
  });
}

async function ingest(bars: BarInput[]): Promise<void> {
  dataOf(await t.as('operator')(IngestBarsDocument, { input: { bars } }));
}

async function datasetRows(): Promise<number> {
  const [{ n }] = await t.dataSource.query('SELECT count(*)::int AS n FROM datasets');
  return n;
}

async function bucketKeys(): Promise<string[]> {
  const client = new S3Client({ endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: S3RVER_CREDENTIALS });
  try {
    const listed = await client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: 'series/datasets/' }));
    return (listed.Contents ?? []).map((object) => object.Key!).sort();
  } finally {
    client.destroy();
  }
}

function createSeries(name: string, series: SeriesDatasetInput) {
  return t.as('operator')(CreateMaterializedDatasetDocument, { input: { name, series } });
}

/** The dataset as stored (read back from the bucket, checked against its SHA-256), column by column. */
async function stored(id: string) {
  const datasets = t.app.services.datasets;
  const table = await datasets.loadTable(await datasets.getDataset(id));
  return Object.fromEntries(table.columns.map((column, c) => [column.name, table.data[c]]));
}

describe('createDataset with a series spec', () => {
  it('aligns the symbols on the times both have, one number column per symbol × field, ascending', async () => {
    const dataset = dataOf(
      await createSeries('spy-btc-levels', {
        symbols: ['SPY', 'BTC/USD'],
        from: iso(day(2)),
        to: iso(day(8)),
        columns: ['CLOSE', 'VOLUME'],
      }),
    ).createDataset;
    expect(dataset).toMatchObject({ source: 'SERIES', rowCount: 5 });
    expect(dataset.columns).toEqual([
      { name: 'time', type: 'TIMESTAMP' },
      { name: 'SPY.close', type: 'NUMBER' },
      { name: 'SPY.volume', type: 'NUMBER' },
      { name: 'BTC_USD.close', type: 'NUMBER' },
      { name: 'BTC_USD.volume', type: 'NUMBER' },
    ]);
    // Day 4 (no SPY bar) and day 6 (no BTC/USD bar) are dropped.
    expect(await stored(dataset.id)).toEqual({
      time: [2, 3, 5, 7, 8].map(day),
      'SPY.close': [102, 103, 105, 107, 108],
      'SPY.volume': [2000, 3000, 5000, 7000, 8000],
      'BTC_USD.close': [20_200, 20_300, 20_500, 20_700, 20_800],
      'BTC_USD.volume': [0.5, 0.75, 1.25, 1.75, 2],
    });
    expect(dataset.spec).toEqual({
      symbols: ['SPY', 'BTC/USD'],
      timeframe: '1d',
      from: iso(day(2)),
      to: iso(day(8)),
      columns: ['close', 'volume'],
      returns: false,
      returnKind: null,
      align: 'inner',
      timeColumn: 'time',
      orderColumn: 'time',
      channels: [
        { column: 'SPY.close', symbol: 'SPY', field: 'close' },
        { column: 'SPY.volume', symbol: 'SPY', field: 'volume' },
        { column: 'BTC_USD.close', symbol: 'BTC/USD', field: 'close' },
        { column: 'BTC_USD.volume', symbol: 'BTC/USD', field: 'volume' },
      ],
      firstRow: iso(day(2)),
      lastRow: iso(day(8)),
      barsRead: { SPY: 6, 'BTC/USD': 6 },
      alignedTimes: 5,
      droppedTimes: 2,
      missingBars: { SPY: 1, 'BTC/USD': 1 },
    });
    expect(await bucketKeys()).toContain(`series/datasets/${dataset.id}/table.json.gz`);
  });

  it('takes log returns over the aligned rows: the row after a dropped time spans it', async () => {
    const dataset = dataOf(
      await createSeries('spy-btc-log', { symbols: ['SPY', 'BTC/USD'], returns: true, returnKind: 'LOG' }),
    ).createDataset;
    expect(dataset.spec).toMatchObject({ columns: ['close'], returns: true, returnKind: 'log', alignedTimes: 6, firstRow: iso(day(2)) });
    const columns = await stored(dataset.id);
    expect(Object.keys(columns)).toEqual(['time', 'SPY.close', 'BTC_USD.close']);
    // Aligned days 1, 2, 3, 5, 7, 8: the first is only the base of the first return.
    expect(columns.time).toEqual([2, 3, 5, 7, 8].map(day));
    const spy = [Math.log(102 / 101), Math.log(103 / 102), Math.log(105 / 103), Math.log(107 / 105), Math.log(108 / 107)];
    const btc = [Math.log(202 / 201), Math.log(203 / 202), Math.log(205 / 203), Math.log(207 / 205), Math.log(208 / 207)];
    spy.forEach((value, r) => expect(columns['SPY.close'][r]).toBeCloseTo(value, 12));
    btc.forEach((value, r) => expect(columns['BTC_USD.close'][r]).toBeCloseTo(value, 12));
  });

  it('takes simple returns when returns is true without a kind', async () => {
    const dataset = dataOf(await createSeries('spy-simple', { symbols: ['SPY'], from: iso(day(3)), returns: true })).createDataset;
    expect(dataset.spec).toMatchObject({ returns: true, returnKind: 'simple', droppedTimes: 0 });
    const columns = await stored(dataset.id);
    expect(columns.time).toEqual([5, 6, 7, 8].map(day));
    [105 / 103 - 1, 106 / 105 - 1, 107 / 106 - 1, 108 / 107 - 1].forEach((value, r) =>
      expect(columns['SPY.close'][r]).toBeCloseTo(value, 12),
    );
  });

  const bad: [string, SeriesDatasetInput, string | RegExp, string | undefined][] = [
    [
      'an unknown symbol',
      { symbols: ['SPY', 'NOPE'] },
      'expects bars of NOPE 1d between the start and the end, but the store has none',
      'series.symbols',
    ],
    [
      'a range without bars',
      { symbols: ['SPY'], from: '2030-01-01T00:00:00.000Z' },
      'expects bars of SPY 1d between 2030-01-01T00:00:00.000Z and the end, but the store has none',
      'series.symbols',
    ],
    [
      'symbols with one time in common',
      { symbols: ['SPY', 'LONER'] },
      'expects at least 2 times at which every symbol (SPY, LONER) has a bar, but there are 1 (8 dropped where a symbol had none)' +
        '; widen from/to or choose symbols traded at the same times',
      'series.from',
    ],
    [
      'returns over a zero volume',
      { symbols: ['ZVOL'], columns: ['CLOSE', 'VOLUME'], returns: true },
      'expects positive values of ZVOL.volume to take its returns, but it is 6 at 2024-01-02T00:00:00.000Z and 0 at 2024-01-03T00:00:00.000Z' +
        '; leave that field out or set returns: false',
      'series.returns',
    ],
    ['an unknown field', { symbols: ['SPY'], columns: ['VWAP' as BarField] }, /Value "VWAP" does not exist in "BarField" enum/, undefined],
    ['a symbol twice', { symbols: ['SPY', 'SPY'] }, 'expects each symbol once, but "SPY" appears twice', 'series.symbols'],
    ['no symbols', { symbols: [] }, 'expects series.symbols to list at least one symbol, but got none', 'series.symbols'],
    [
      'a field twice',
      { symbols: ['SPY'], columns: ['CLOSE', 'CLOSE'] },
      'expects each bar field once, but CLOSE appears twice',
      'series.columns',
    ],
    [
      'a return kind without returns',
      { symbols: ['SPY'], returnKind: 'LOG' },
      'expects series.returnKind only with returns: true, but got LOG without it; add returns: true or drop returnKind',
      'series.returnKind',
    ],
    [
      'two symbols that make one column name',
      { symbols: ['BTC/USD', 'BTC:USD'] },
      'expects symbols with distinct column names, but "BTC/USD" and "BTC:USD" both make BTC_USD.close',
      'series.symbols',
    ],
    [
      'from after to',
      { symbols: ['SPY'], from: iso(day(5)), to: iso(day(2)) },
      `expects series.from not after series.to, but got ${iso(day(5))} > ${iso(day(2))}`,
      'series.from',
    ],
    [
      'an unknown timeframe',
      { symbols: ['SPY'], timeframe: '2d' },
      "expects timeframe to be one of 1m, 5m, 15m, 30m, 1h, 4h, 1d, 1w, but got '2d'",
      'series.timeframe',
    ],
  ];
  it.each(bad)('refuses %s, and writes no dataset', async (_case, series, message, field) => {
    const [rows, keys] = [await datasetRows(), await bucketKeys()];
    const error = errorOf(await createSeries('refused', series));
    expect(error.code).toBe('BAD_USER_INPUT');
    expect(error.message).toMatch(message);
    if (field) expect(error.extensions?.field).toBe(field);
    expect([await datasetRows(), await bucketKeys()]).toEqual([rows, keys]);
  });

  it('refuses a series together with another source', async () => {
    const rows = await datasetRows();
    const error = errorOf(
      await t.as('operator')(CreateMaterializedDatasetDocument, {
        input: {
          name: 'two-sources',
          series: { symbols: ['SPY'] },
          bars: { symbols: ['SPY'], label: { kind: 'FORWARD_RETURN', horizon: 1 } },
        },
      }),
    );
    expect(error).toMatchObject({
      code: 'BAD_USER_INPUT',
      message: 'expects exactly one of rows, csv, bars, series or trades',
      extensions: expect.objectContaining({ field: 'input' }),
    });
    expect(await datasetRows()).toBe(rows);
  });

  it('is for operators', async () => {
    const error = errorOf(
      await t.as('viewer')(CreateMaterializedDatasetDocument, { input: { name: 'viewer', series: { symbols: ['SPY'] } } }),
    );
    expect(error.code).toBe('FORBIDDEN');
  });
});

describe('rebuilding a series dataset for retraining', () => {
  it('builds it again from its spec with every bar stored now from its `from` on, as a new dataset', async () => {
    const original = await t.app.services.datasets.getDataset(
      dataOf(await createSeries('spy-btc-rebuild', { symbols: ['SPY', 'BTC/USD'], from: iso(day(2)), to: iso(day(5)), returns: true }))
        .createDataset.id,
    );
    await ingest([...daily('SPY', [9, 10], (d) => [100 + d, 1000 * d]), ...daily('BTC/USD', [9, 10], (d) => [20_000 + 100 * d, d / 4])]);

    const rebuilt = (await t.app.services.features.rematerialize(original))!;
    expect(rebuilt.id).not.toBe(original.id);
    expect(rebuilt.name).toMatch(/^spy-btc-rebuild\.rebuilt-/);
    expect(rebuilt.source).toBe('SERIES');
    expect(rebuilt.spec).toMatchObject({
      symbols: ['SPY', 'BTC/USD'],
      from: iso(day(2)),
      to: null,
      columns: ['close'],
      returns: true,
      returnKind: 'simple',
      firstRow: iso(day(3)),
      lastRow: iso(day(10)),
    });
    const columns = await stored(rebuilt.id);
    expect(columns.time).toEqual([3, 5, 7, 8, 9, 10].map(day));
    expect(columns['SPY.close'][4]).toBeCloseTo(109 / 108 - 1, 12);
    // The original is unchanged: datasets are immutable.
    expect((await stored(original.id)).time).toEqual([3, 5].map(day));
  });
});
