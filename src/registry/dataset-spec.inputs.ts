import { Field, InputType, Int } from 'type-graphql';
import type { LabelKind } from '../lib/market-vocabulary';
import { LabelKindEnum } from '../schema/enums';

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
