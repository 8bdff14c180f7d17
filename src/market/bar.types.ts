import { Field, Float, InputType, Int, ObjectType } from 'type-graphql';
import { INPUT_LIMITS } from '../lib/input-bounds';
import { MAX_INGEST_BARS } from './bars.service';
import { Bounded } from '../schema/input-guard';

@InputType({ description: 'One OHLCV bar; timestamp is the start of its interval (UTC).' })
class BarInput {
  @Field()
  symbol!: string;

  @Field({ description: '1m, 5m, 15m, 30m, 1h, 4h, 1d or 1w.' })
  timeframe!: string;

  @Field()
  timestamp!: Date;

  @Field(() => Float)
  open!: number;

  @Field(() => Float)
  high!: number;

  @Field(() => Float)
  low!: number;

  @Field(() => Float)
  close!: number;

  @Field(() => Float)
  volume!: number;
}

@InputType({ description: 'Exactly one of bars or csv. Up to 500,000 bars per request; larger files: `kybernet ingest-bars FILE.csv`.' })
export class IngestBarsInput {
  @Bounded({ maxItems: MAX_INGEST_BARS })
  @Field(() => [BarInput], { nullable: true })
  bars?: BarInput[];

  @Field({
    nullable: true,
    description:
      'CSV text: a header naming a time column (timestamp, datetime, date or time), open, high, low, close, volume, and optionally symbol and timeframe.',
  })
  @Bounded({ maxLength: INPUT_LIMITS.fileChars })
  csv?: string;

  @Field({ nullable: true, description: 'The symbol of CSV rows without a symbol column.' })
  symbol?: string;

  @Field({ nullable: true, description: 'The timeframe of CSV rows without a timeframe column.' })
  timeframe?: string;
}

@ObjectType({ description: 'What an ingest wrote: new bars, changed bars, and bars sent again unchanged (idempotent).' })
export class IngestBarsResult {
  @Field(() => Int)
  received!: number;

  @Field(() => Int)
  inserted!: number;

  @Field(() => Int)
  updated!: number;

  @Field(() => Int)
  unchanged!: number;

  @Field(() => [String])
  symbols!: string[];

  @Field(() => Date, { nullable: true })
  from!: Date | null;

  @Field(() => Date, { nullable: true })
  to!: Date | null;
}
