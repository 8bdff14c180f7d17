import { Field, Float, ID, InputType, ObjectType } from 'type-graphql';
import type { OutcomeSource } from '../entities/request-outcome.entity';
import type { PredictionRole } from '../entities/prediction.entity';
import { NamedValue } from '../schema/common.types';
import { OutcomeSourceEnum, PredictionRoleEnum } from '../schema/enums';
import { INPUT_LIMITS } from '../lib/input-bounds';
import { MAX_BATCH_ROWS } from './serving.service';
import { Bounded } from '../schema/input-guard';

@ObjectType({ description: 'The realised value a prediction is scored against (one per request and registered model).' })
class PredictionOutcome {
  @Field(() => Float, { description: "The realised value; a forecast's first step of its first target." })
  actual!: number;

  @Field(() => [[Float]], {
    nullable: true,
    description: "A forecast's realised values: horizon rows × targets, as the forecast's values; null for any other prediction.",
  })
  values!: number[][] | null;

  @Field(() => OutcomeSourceEnum)
  source!: OutcomeSource;

  @Field(() => ID, { nullable: true, description: 'The trade that realised it (source TRADE).' })
  tradeId!: string | null;

  @Field()
  recordedAt!: Date;
}

@ObjectType({ description: 'One answer of the ACTIVE version; pass its id with the trade it informed.' })
export class Prediction {
  @Field(() => ID)
  id!: string;

  @Field()
  requestId!: string;

  @Field(() => Float, {
    nullable: true,
    description: 'The first output (prediction or probability); null where the row could not be scored.',
  })
  value!: number | null;

  @Field(() => [NamedValue])
  outputs!: NamedValue[];

  @Field(() => Float, { description: 'Time from arrival at the model to its answer, in milliseconds.' })
  latencyMs!: number;

  @Field()
  createdAt!: Date;

  @Field(() => PredictionRoleEnum, {
    nullable: true,
    description: 'ACTIVE answered the request, SHADOW scored it alongside (set on logged predictions).',
  })
  role?: PredictionRole;

  @Field(() => PredictionOutcome, {
    nullable: true,
    description: "The request's realised value, once recorded (set on logged predictions).",
  })
  outcome?: PredictionOutcome | null;
}

@InputType()
export class PredictInput {
  @Field()
  model!: string;

  @Bounded({ maxItems: INPUT_LIMITS.features })
  @Field(() => [Float], { nullable: 'items', description: 'In the order of the ACTIVE version’s featureNames; null = missing.' })
  features!: (number | null)[];

  @Bounded({ maxLength: INPUT_LIMITS.requestIdLength })
  @Field({
    nullable: true,
    description: 'Shared by the ACTIVE and SHADOW rows of this request; generated when absent. At most 200 characters.',
  })
  requestId?: string;
}

@InputType()
export class PredictBatchInput {
  @Field()
  model!: string;

  @Bounded({ maxItems: [MAX_BATCH_ROWS, INPUT_LIMITS.features] })
  @Field(() => [[Float]], {
    nullable: 'itemsAndList',
    description: 'The rows, each in the order of the ACTIVE version’s featureNames; null = missing. Give rows or packedRows.',
  })
  rows?: (number | null)[][] | null;

  @Bounded({ maxLength: INPUT_LIMITS.fileChars })
  @Field(() => String, {
    nullable: true,
    description:
      'The rows packed: base64 of little-endian float32 values, row after row (rows × the input width; NaN = missing). The compact form of rows for large batches: a 10,000 × 64 batch is 3.4 MB instead of about 12 MB of JSON numbers, and the server neither parses nor coerces each number. Give rows or packedRows.',
  })
  packedRows?: string | null;

  @Bounded({ maxLength: INPUT_LIMITS.requestIdLength })
  @Field({
    nullable: true,
    description: 'Row r is logged with request id "{requestId}:{r}"; generated when absent. At most 200 characters.',
  })
  requestId?: string;
}
