import { createReadStream } from 'node:fs';
import { type Bar, parseTimestamp, readBarBatches, validateBar, validateBars, validateSeries } from '../../../src/lib/bars';
import { InvalidInputError } from '../../../src/lib/errors';
import { describeWithShared } from '../../helpers/shared';
import { SPY_CSV, loadSpy } from './spy';

const bar = (overrides: Partial<Bar> = {}): Bar => ({
  symbol: 'SPY',
  timeframe: '1d',
  timestamp: Date.UTC(2020, 0, 2),
  open: 100,
  high: 102,
  low: 99,
  close: 101,
  volume: 1000,
  ...overrides,
});

async function readAll(csv: string, options = {}): Promise<Bar[][]> {
  const batches: Bar[][] = [];
  for await (const batch of readBarBatches(csv, options)) batches.push(batch);
  return batches;
}

async function csvError(csv: string, options = {}): Promise<InvalidInputError> {
  try {
    await readAll(csv, options);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidInputError);
    return error as InvalidInputError;
  }
  throw new Error('expected the CSV to be refused');
}

function refusal(action: () => unknown): InvalidInputError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidInputError);
    return error as InvalidInputError;
  }
  throw new Error('expected an InvalidInputError');
}

describe('validateBar', () => {
  it('accepts a consistent bar, including zero volume and a bar where all prices are equal', () => {
    expect(validateBar(bar(), 0)).toEqual(bar());
    expect(validateBar(bar({ open: 5, high: 5, low: 5, close: 5, volume: 0 }), 0).volume).toBe(0);
  });

  it.each([
    ['open', { open: NaN }],
    ['close', { close: -1 }],
    ['low', { low: 0 }],
    ['high', { high: Infinity }],
    ['volume', { volume: -5 }],
    ['volume', { volume: NaN }],
    ['high', { high: 100.5 }], // below close 101
    ['low', { low: 100.5 }], // above open 100
    ['timestamp', { timestamp: 1.5 }],
    ['timeframe', { timeframe: '2d' as Bar['timeframe'] }],
    ['symbol', { symbol: 'has space' }],
    // Beyond PRICE_RANGE / MAX_VOLUME: finite, but returns and sums computed from them could overflow.
    ['high', { high: 1e308 }],
    ['low', { low: 5e-324 }],
    ['volume', { volume: 1e300 }],
  ])('refuses a bad %s and names the field and row', (field, overrides) => {
    const error = refusal(() => validateBar(bar(overrides), 7));
    expect(error.code).toBe('BAD_USER_INPUT');
    expect(error.message).toContain('row 7');
    expect(error.message).toContain(field);
    expect(error.details).toMatchObject({ field, row: 7 });
  });

  it('refuses timestamps that do not increase within a series, but not across symbols', () => {
    const day = 86_400_000;
    const error = refusal(() => validateBars([bar(), bar({ timestamp: bar().timestamp + day }), bar()]));
    expect(error.message).toMatch(/row 2: expects timestamps strictly increasing within SPY 1d/);
    expect(validateBars([bar(), bar({ symbol: 'QQQ' })])).toHaveLength(2);
  });

  it('validateSeries refuses a second symbol', () => {
    const error = refusal(() => validateSeries([bar(), bar({ symbol: 'QQQ', timestamp: bar().timestamp + 1 })]));
    expect(error.message).toBe('row 1: expects one series (SPY 1d), but got QQQ 1d');
  });
});

describe('parseTimestamp', () => {
  it.each([
    ['2020-08-28', Date.UTC(2020, 7, 28)],
    ['2016-07-01 13:00:00', Date.UTC(2016, 6, 1, 13)],
    ['2016-07-01T13:05', Date.UTC(2016, 6, 1, 13, 5)],
    ['2016-07-01T13:05:07.25Z', Date.UTC(2016, 6, 1, 13, 5, 7, 250)],
    ['2016-07-01T13:00:00+02:00', Date.UTC(2016, 6, 1, 11)],
    ['2016-07-01T13:00:00-0130', Date.UTC(2016, 6, 1, 14, 30)],
  ])('reads %s as UTC unless a zone is given', (text, expected) => {
    expect(parseTimestamp(text)).toBe(expected);
  });

  it.each(['2020-02-30', '2020-13-01', '20200828', '2020-08-28 25:00', 'yesterday', ''])('rejects %j', (text) => {
    expect(parseTimestamp(text)).toBeUndefined();
  });
});

describe('readBarBatches', () => {
  const header = ',date,open,high,low,close,volume';
  const rows = ['0,2020-01-02,100,102,99,101,1000', '1,2020-01-03,101,103,100,102,1100', '2,2020-01-06,102,104,101,103,1200'];

  it('yields validated bars in batches of the given size', async () => {
    const batches = await readAll([header, ...rows].join('\n'), { symbol: 'SPY', timeframe: '1d', batchSize: 2 });
    expect(batches.map((b) => b.length)).toEqual([2, 1]);
    expect(batches[1][0]).toEqual({
      symbol: 'SPY',
      timeframe: '1d',
      timestamp: Date.UTC(2020, 0, 6),
      open: 102,
      high: 104,
      low: 101,
      close: 103,
      volume: 1200,
    });
  });

  it('matches header names case-insensitively and takes symbol and timeframe columns over the options', async () => {
    const csv = ['Symbol,TimeFrame,Timestamp,OPEN,High,Low,Close,Volume', 'QQQ,1h,2020-01-02 14:00,1,2,0.5,1.5,10'].join('\r\n');
    const [[only]] = await readAll(csv, { symbol: 'SPY', timeframe: '1d' });
    expect(only).toMatchObject({ symbol: 'QQQ', timeframe: '1h', timestamp: Date.UTC(2020, 0, 2, 14), close: 1.5 });
  });

  it('names a missing column and the header line', async () => {
    const error = await csvError([',date,open,high,low,volume', '0,2020-01-02,100,102,99,1000'].join('\n'), {
      symbol: 'SPY',
      timeframe: '1d',
    });
    expect(error.message).toMatch(/^line 1: expects a 'close' column, but the header has/);
    expect(error.details).toMatchObject({ field: 'close', line: 1 });
  });

  it('asks for the symbol when neither a column nor the caller gives it', async () => {
    const error = await csvError([header, ...rows].join('\n'), { timeframe: '1d' });
    expect(error.message).toMatch(/^line 1: expects a 'symbol' column or a symbol given by the caller/);
  });

  it('names the line and column of a missing cell', async () => {
    const error = await csvError([header, rows[0], '1,2020-01-03,101,103,100'].join('\n'), {
      symbol: 'SPY',
      timeframe: '1d',
    });
    expect(error.message).toBe("line 3: expects a value in column 'close', but it is missing");
  });

  it('names the line and column of a bad value', async () => {
    const bad = [header, rows[0], rows[1], '2,2020-01-06,102,abc,101,103,1200'].join('\n');
    const error = await csvError(bad, { symbol: 'SPY', timeframe: '1d' });
    expect(error.message).toBe("line 4, column 'high': expects a decimal number, but got 'abc'");
    expect(error.details).toMatchObject({ field: 'high', line: 4 });

    const badDate = await csvError([header, '0,2020-02-30,1,1,1,1,1'].join('\n'), { symbol: 'SPY', timeframe: '1d' });
    expect(badDate.message).toBe("line 2, column 'date': expects an ISO 8601 date or date-time, but got '2020-02-30'");
  });

  it('refuses NaN and negative prices with the line and field', async () => {
    const nan = await csvError([header, '0,2020-01-02,NaN,102,99,101,1000'].join('\n'), {
      symbol: 'SPY',
      timeframe: '1d',
    });
    expect(nan.message).toBe("line 2, column 'open': expects a decimal number, but got 'NaN'");
    const negative = await csvError([header, '0,2020-01-02,100,102,-99,101,1000'].join('\n'), {
      symbol: 'SPY',
      timeframe: '1d',
    });
    expect(negative.message).toBe('line 2: expects low to be a finite price > 0, but got -99');
    expect(negative.details).toMatchObject({ field: 'low', line: 2 });
  });

  it('refuses a bar whose high is below its close, and out-of-order dates, by line', async () => {
    const inconsistent = await csvError([header, '0,2020-01-02,100,100.5,99,101,1000'].join('\n'), {
      symbol: 'SPY',
      timeframe: '1d',
    });
    expect(inconsistent.message).toMatch(/^line 2: expects high ≥ max\(open, close, low\)/);
    const unordered = await csvError([header, rows[1], rows[0]].join('\n'), { symbol: 'SPY', timeframe: '1d' });
    expect(unordered.message).toMatch(/^line 3: expects timestamps strictly increasing within SPY 1d/);
  });

  it('wraps malformed CSV and rejects an empty file and a bad batch size', async () => {
    const quote = await csvError([header, '0,"2020-01-02,100,102,99,101,1000'].join('\n'), {
      symbol: 'SPY',
      timeframe: '1d',
    });
    expect(quote.message).toMatch(/^expects well-formed CSV, but/);
    expect((await csvError('', { symbol: 'SPY', timeframe: '1d' })).message).toMatch(/expects a header row/);
    expect((await csvError(header, { symbol: 'SPY', timeframe: '1d', batchSize: 0 })).details).toMatchObject({
      field: 'batchSize',
    });
  });
});

describeWithShared('readBarBatches on SPY_D.csv', () => {
  it('reads every row, first and last as in the file, timestamps at UTC midnight', async () => {
    const bars = await loadSpy();
    expect(bars).toHaveLength(5241);
    expect(bars[0]).toEqual({
      symbol: 'SPY',
      timeframe: '1d',
      timestamp: Date.UTC(1999, 10, 1),
      open: 136.5,
      high: 137,
      low: 135.5625,
      close: 135.5625,
      volume: 4006500,
    });
    expect(bars[5240]).toMatchObject({ timestamp: Date.UTC(2020, 7, 28), close: 350.58, volume: 48588940 });
  });

  it('stops reading when the consumer stops early', async () => {
    const stream = createReadStream(SPY_CSV);
    for await (const batch of readBarBatches(stream, { symbol: 'SPY', timeframe: '1d', batchSize: 10 })) {
      expect(batch).toHaveLength(10);
      break;
    }
    await new Promise((resolve) => setImmediate(resolve));
    expect(stream.destroyed).toBe(true);
  });
});
