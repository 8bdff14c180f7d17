import { Field, InputType, Int } from 'type-graphql';
import {
  BAR_FIELDS,
  RETURN_KINDS,
  SERIES_ALIGNMENTS,
  type BarField,
  type LabelKind,
  type ReturnKind,
  type SeriesAlignment,
} from '../lib/market-vocabulary';
import { LabelKindEnum, enumOf } from '../schema/enums';

const BarFieldEnum = enumOf(BAR_FIELDS, 'BarField', 'A field of an OHLCV bar.');
const ReturnKindEnum = enumOf(RETURN_KINDS, 'ReturnKind', 'SIMPLE: v_t / v_{t-1} - 1; LOG: ln(v_t / v_{t-1}).');
const SeriesAlignEnum = enumOf(SERIES_ALIGNMENTS, 'SeriesAlign', 'INNER: only the times at which every symbol has a bar.');

@InputType()
class LabelInput {
  @Field(() => LabelKindEnum)
  kind!: LabelKind;

  @Field(() => Int, { description: 'Bars ahead.' })
  horizon!: number;
}

@InputType({
  description:
    'Materializes features and a label from stored bars: one row per symbol and bar in [from, to] after the warm-up; a feature at t uses bars up to t, the label bars up to t + horizon (never after `to`).',
})
export class BarsDatasetInput {
  @Field(() => [String])
  symbols!: string[];

  @Field({ nullable: true, defaultValue: '1d' })
  timeframe?: string;

  @Field({ nullable: true })
  from?: Date;

  @Field({ nullable: true })
  to?: Date;

  @Field(() => LabelInput)
  label!: LabelInput;
}

@InputType({
  description:
    'Materializes a time series for sequence families: a `time` column (epoch ms) and one number column per symbol and field, named `${symbol}.${field}` (e.g. `SPY.close`; a character of a symbol that a column name cannot hold becomes _, and a symbol not starting with a letter or _ gets a leading _), one row per time in [from, to] at which every symbol has a bar, ascending. The spec records how many times were dropped.',
})
export class SeriesDatasetInput {
  @Field(() => [String], { description: 'The columns follow this order.' })
  symbols!: string[];

  @Field({ nullable: true, defaultValue: '1d' })
  timeframe?: string;

  @Field({ nullable: true })
  from?: Date;

  @Field({ nullable: true })
  to?: Date;

  @Field(() => [BarFieldEnum], { nullable: true, defaultValue: ['close'], description: 'The fields of each symbol, in this order.' })
  columns?: BarField[];

  @Field({
    nullable: true,
    defaultValue: false,
    description:
      'Each value as its return over the row before (by returnKind); every column of a row covers the same interval, and the first time gives no row.',
  })
  returns?: boolean;

  @Field(() => ReturnKindEnum, { nullable: true, description: 'SIMPLE when absent; only with returns: true.' })
  returnKind?: ReturnKind;

  @Field(() => SeriesAlignEnum, { nullable: true, defaultValue: 'inner' })
  align?: SeriesAlignment;
}

@InputType({
  description:
    "Materializes the closed trades' feature snapshots with what they realised (target realized_return, the trade's return, or price_return, the market's move whatever the side; ordered by entry_time).",
})
export class TradesDatasetInput {
  @Field(() => [String], { nullable: true })
  symbols?: string[];

  @Field(() => [String], { nullable: true })
  strategies?: string[];

  @Field({ nullable: true, description: 'Exit time at or after.' })
  from?: Date;

  @Field({ nullable: true, description: 'Exit time at or before.' })
  to?: Date;
}
