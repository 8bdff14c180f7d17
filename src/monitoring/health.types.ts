import { Field, Float, Int, ObjectType } from 'type-graphql';
import { enumOf } from '../schema/enums';
import { HEALTH_STATUSES, type HealthStatus } from './model-health';
import { ModelVersion, RegisteredModel } from '../registry/model.types';

const HealthStatusEnum = enumOf(
  HEALTH_STATUSES,
  'HealthStatus',
  "A model's health, apart from its lifecycle status; INSUFFICIENT_DATA while it has fewer outcomes than policy.health.window_trades and no figure out of bounds.",
);

@ObjectType()
class LongShortRatio {
  @Field(() => Int)
  long!: number;

  @Field(() => Int)
  short!: number;

  @Field(() => Int)
  flat!: number;

  @Field(() => Float, { nullable: true, description: 'long / short; null without short calls.' })
  ratio!: number | null;
}

@ObjectType({ description: 'Nearest-rank percentiles, in milliseconds.' })
class LatencyPercentiles {
  @Field(() => Float)
  p50!: number;

  @Field(() => Float)
  p95!: number;

  @Field(() => Float)
  p99!: number;
}

@ObjectType({ description: "The ACTIVE version's health from its recent predictions and outcomes (thresholds in policy.health)." })
export class ModelHealth {
  @Field(() => RegisteredModel)
  registeredModel!: unknown;

  @Field(() => ModelVersion)
  modelVersion!: unknown;

  @Field(() => HealthStatusEnum)
  status!: HealthStatus;

  @Field(() => [String], { description: 'Why it is not HEALTHY (for INSUFFICIENT_DATA: the outcomes it has and needs).' })
  reasons!: string[];

  @Field(() => Int, {
    description:
      'Outcomes the win rate (for a sequence model: the mean loss) is judged on (policy.health.window_trades); with fewer in the window (windowOutcomes), the status is INSUFFICIENT_DATA unless another figure is already out of bounds.',
  })
  outcomesNeeded!: number;

  @Field(() => Float, {
    nullable: true,
    description: 'Over the latest policy.health.window_trades outcomes; null until there are that many.',
  })
  winRate!: number | null;

  @Field(() => [Float], { description: 'The win rate over each trailing window of window_trades recent outcomes, oldest first.' })
  rollingWinRate!: number[];

  @Field(() => Float, { nullable: true, description: 'Expected calibration error (binary models).' })
  calibrationError!: number | null;

  @Field(() => LongShortRatio, { nullable: true })
  longShort!: LongShortRatio | null;

  @Field(() => LatencyPercentiles, { nullable: true })
  latency!: LatencyPercentiles | null;

  @Field(() => Float, {
    nullable: true,
    description:
      "Sequence models (task forecast), which have no win rate: the mean loss of the latest policy.health.window_trades forecasts with realised rows (each one's mean squared error over every horizon step and target); null until there are that many, and for other models.",
  })
  meanLoss!: number | null;

  @Field(() => Float, {
    nullable: true,
    description:
      "Sequence models: the version's validation loss (metrics.mse_original) that meanLoss is judged against; DEGRADED from a rise of policy.drift_detection.min_error_increase_pct percent.",
  })
  validationLoss!: number | null;

  @Field(() => Int, { description: 'Predictions the ACTIVE version answered.' })
  predictionCount!: number;

  @Field(() => Int, { description: 'Those with a realised value.' })
  outcomeCount!: number;

  @Field(() => Int)
  windowPredictions!: number;

  @Field(() => Int)
  windowOutcomes!: number;

  @Field()
  checkedAt!: Date;
}
