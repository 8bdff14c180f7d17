/**
 * `kybernet ingest-bars FILE.csv`: streams a CSV of bars into the store, one transaction per batch,
 * with a progress bar (by bytes read) on stderr. With `--acks` (the default when stdout is not a
 * terminal) it prints one line per committed batch to stdout — each printed batch is durable, and a
 * process killed at any point leaves exactly the committed batches, none in part.
 */
import { createReadStream, statSync } from 'node:fs';
import { Presets, SingleBar } from 'cli-progress';
import { parseTimeframe, type Timeframe } from '../lib/bars';
import { InvalidInputError } from '../lib/errors';
import { BarsService } from '../market/bars.service';
import { boot } from './boot';

export interface IngestBarsOptions {
  symbol?: string;
  timeframe?: string;
  batchSize: number;
  acks: boolean;
}

function fileSize(file: string): number {
  try {
    const stats = statSync(file);
    if (stats.isFile()) return stats.size;
  } catch {
    // reported below
  }
  throw new InvalidInputError(`expects FILE to be a readable CSV file, but "${file}" is not one`, { field: 'file' });
}

export async function ingestBarsCommand(file: string, options: IngestBarsOptions): Promise<void> {
  const size = fileSize(file);
  const timeframe: Timeframe | undefined = options.timeframe === undefined ? undefined : parseTimeframe(options.timeframe);
  const booted = await boot({ command: 'ingest-bars' });
  const bar = new SingleBar(
    { format: 'ingesting {bar} {percentage}% | {bars} bars in {batches} batches | {rate} bars/s', hideCursor: true },
    Presets.shades_classic,
  );
  const started = performance.now();
  let bytesRead = 0;
  const input = createReadStream(file);
  input.on('data', (chunk) => (bytesRead += chunk.length));
  bar.start(size, 0, { bars: 0, batches: 0, rate: 0 });
  try {
    const summary = await new BarsService(booted.dataSource).ingestCsv(input, {
      symbol: options.symbol,
      timeframe,
      batchSize: options.batchSize,
      onBatch: (batch) => {
        const rate = Math.round(batch.totalBars / ((performance.now() - started) / 1000));
        bar.update(Math.min(bytesRead, size), { bars: batch.totalBars, batches: batch.batch, rate });
        if (options.acks) console.log(`acknowledged batch ${batch.batch}: ${batch.received} bars committed, ${batch.totalBars} in total`);
      },
    });
    bar.update(size);
    bar.stop();
    const seconds = (performance.now() - started) / 1000;
    const range = summary.from === null ? '' : ` from ${new Date(summary.from).toISOString()} to ${new Date(summary.to!).toISOString()}`;
    console.log(
      `ingested ${summary.received} bars of ${summary.symbols.join(', ') || 'no symbol'}${range} in ${seconds.toFixed(1)} s: ` +
        `${summary.inserted} new, ${summary.updated} changed, ${summary.unchanged} unchanged`,
    );
  } finally {
    bar.stop();
    input.destroy();
    await booted.shutdown();
  }
}
