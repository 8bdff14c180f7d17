import { Arg, Authorized, Ctx, Mutation, Resolver } from 'type-graphql';
import type { Bar, Timeframe } from '../lib/bars';
import { InvalidInputError } from '../lib/errors';
import { IngestBarsInput, IngestBarsResult } from './bar.types';
import type { IngestSummary } from './bars.service';
import type { Context } from '../schema/context';

function toResult(summary: IngestSummary): IngestBarsResult {
  const date = (ms: number | null) => (ms === null ? null : new Date(ms));
  return { ...summary, from: date(summary.from), to: date(summary.to) };
}

@Resolver()
export class MarketDataResolver {
  @Authorized('operator')
  @Mutation(() => IngestBarsResult, {
    description: 'Upserts bars (idempotent: a bar sent again unchanged writes nothing); all or nothing per request.',
  })
  async ingestBars(@Arg('input') input: IngestBarsInput, @Ctx() { services }: Context) {
    if ((input.bars == null) === (input.csv == null)) throw new InvalidInputError('expects exactly one of bars or csv', { field: 'bars' });
    if (input.csv != null) {
      return toResult(
        await services.bars.ingestCsvText(input.csv, { symbol: input.symbol, timeframe: input.timeframe as Timeframe | undefined }),
      );
    }
    // timeframe is a string here; the service validates it (and every other field) before writing
    const bars: Bar[] = input.bars!.map((bar) => ({ ...bar, timeframe: bar.timeframe as Timeframe, timestamp: bar.timestamp.getTime() }));
    return toResult(await services.bars.ingestBars(bars));
  }
}
