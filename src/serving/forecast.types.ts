import { Field, Float, ID, InputType, Int, ObjectType } from 'type-graphql';
import { INPUT_LIMITS } from '../lib/input-bounds';
import { ModelVersion } from '../registry/model.types';
import { Bounded } from '../schema/input-guard';
import { MAX_FORECAST_WINDOWS } from './serving.service';

/** Rows of one history: the longest input length a sequence family takes. */
const MAX_HISTORY_ROWS = 4096;

@ObjectType({
  description:
    "A sequence model's forecast; logged as a prediction (its id is the prediction's), the SHADOW versions scoring the same history.",
})
export class Forecast {
  @Field(() => ID)
  id!: string;

  @Field({ description: 'Shared by the ACTIVE and SHADOW rows of this request.' })
  requestId!: string;

  @Field(() => [[Float]], { description: 'horizon rows × targets: row h is the forecast h steps after the last history row.' })
  values!: number[][];

  @Field(() => Int)
  horizon!: number;

  @Field(() => [String], { description: 'The forecast channels, in the order of each row of values.' })
  targets!: string[];

  @Field(() => Float, { description: 'Time from arrival at the model to its answer, in milliseconds.' })
  latencyMs!: number;

  @Field(() => ModelVersion)
  modelVersion!: ModelVersion;

  @Field()
  createdAt!: Date;
}

@InputType()
export class ForecastInput {
  @Field()
  model!: string;

  @Bounded({ maxItems: [MAX_HISTORY_ROWS, INPUT_LIMITS.features] })
  @Field(() => [[Float]], {
    nullable: 'items',
    description: "inputLength rows (oldest first) × the ACTIVE version's input channels, in its featureNames order.",
  })
  history!: (number | null)[][];

  @Field({
    nullable: true,
    description:
      "The time of the history's last row. With it, a model trained on a SERIES dataset of stored bars gets its outcome filled in when the next horizon bars are ingested.",
  })
  asOf?: Date;

  @Bounded({ maxLength: INPUT_LIMITS.requestIdLength })
  @Field({
    nullable: true,
    description: 'Shared by the ACTIVE and SHADOW rows of this request; generated when absent. At most 200 characters.',
  })
  requestId?: string;
}

@InputType()
export class ForecastBatchInput {
  @Field()
  model!: string;

  @Bounded({ maxItems: [MAX_FORECAST_WINDOWS, MAX_HISTORY_ROWS, INPUT_LIMITS.features] })
  @Field(() => [[[Float]]], { nullable: 'items', description: `Up to ${MAX_FORECAST_WINDOWS} histories, each as forecast's history.` })
  histories!: (number | null)[][][];

  @Bounded({ maxItems: MAX_FORECAST_WINDOWS })
  @Field(() => [Date], { nullable: true, description: "Each history's asOf (as forecast's), one per history." })
  asOf?: Date[];

  @Bounded({ maxLength: INPUT_LIMITS.requestIdLength })
  @Field({ nullable: true, description: 'History w is logged with request id "{requestId}:{w}"; generated when absent.' })
  requestId?: string;
}
