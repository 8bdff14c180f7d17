import { Field, Float, ID, InputType, Int, ObjectType } from 'type-graphql';
import type { DriftResponse } from '../entities/drift-event.entity';
import { PageInfo } from '../schema/common.types';
import { DriftResponseEnum, enumOf } from '../schema/enums';
import { DRIFT_SEVERITIES, type DriftSeverity } from './drift-assessment';
import { ModelVersion, RegisteredModel } from '../registry/model.types';

export const DriftSeverityEnum = enumOf(
  DRIFT_SEVERITIES,
  'DriftSeverity',
  'How far and how consequentially a model’s recent data moved from its training data (see driftEvents).',
);

@ObjectType({ description: 'One distribution (a feature, the predictions or the outcomes) against its training reference.' })
class DistributionDrift {
  @Field({ description: 'feature, prediction or outcome.' })
  kind!: string;

  @Field()
  name!: string;

  @Field(() => Int, { description: 'Recent non-missing values compared.' })
  count!: number;

  @Field(() => Float, { description: 'Two-sample KS statistic against the stored reference sample.' })
  ksStatistic!: number;

  @Field(() => Float)
  pValue!: number;

  @Field(() => Float, { description: 'After the multiple-testing correction of policy.drift_detection.correction.' })
  adjustedPValue!: number;

  @Field(() => Float, { description: 'Population stability index under the stored bins.' })
  psi!: number;

  @Field({ description: 'Significant after correction, with a large enough effect.' })
  drifted!: boolean;

  @Field({ description: 'Drifted with PSI ≥ policy.drift_detection.major_psi.' })
  major!: boolean;

  @Field(() => Float, {
    nullable: true,
    description:
      'Lag-1 autocorrelation of the recent values in time order (null: too few values, all equal, or an event recorded before it was measured).',
  })
  autocorrelation?: number | null;

  @Field(() => Float, {
    nullable: true,
    description: 'The recent sample size the KS p-value counts: count (1 − ρ)/(1 + ρ) for autocorrelated rows, count for independent ones.',
  })
  effectiveCount?: number | null;

  @Field(() => Float, { nullable: true, description: 'The reference sample size the KS p-value counts.' })
  referenceEffectiveCount?: number | null;

  @Field(() => Float, { nullable: true, description: 'Share of the recent rows where the feature is missing (features only).' })
  missingShare?: number | null;

  @Field(() => Float, { nullable: true, description: 'Share of the training rows where the feature was missing.' })
  referenceMissingShare?: number | null;

  @Field(() => Float, { nullable: true, description: 'One-sided two-proportion test of a rise of the missing share.' })
  missingPValue?: number | null;

  @Field(() => Float, { nullable: true, description: 'missingPValue after the correction, among the features’ missing-share tests.' })
  missingAdjustedPValue?: number | null;

  @Field(() => Boolean, {
    nullable: true,
    description:
      'The missing share rose significantly by at least policy.drift_detection.max_missing_increase, or the feature is missing in every recent row (then count is 0 and the drift HIGH).',
  })
  missingRose?: boolean | null;

  @Field(() => Boolean, { nullable: true, description: 'Every recent value equal while the feature varied in training.' })
  constant?: boolean | null;

  @Field(() => Float, {
    nullable: true,
    description: 'Share of the non-missing recent values outside the training range ([min, max] of the reference sample).',
  })
  outOfRangeShare?: number | null;

  @Field(() => Boolean, { nullable: true, description: 'outOfRangeShare > policy.drift_detection.max_out_of_range_share.' })
  outOfRange?: boolean | null;
}

@ObjectType({ description: 'A performance figure on recent outcomes against the same figure in validation.' })
class PerformanceDrift {
  @Field({
    description:
      'win_rate, squared_error or log_loss; for a sequence model squared_error is the mean over every horizon step and target of a forecast, against metrics.mse_original.',
  })
  metric!: string;

  @Field(() => Float)
  reference!: number;

  @Field(() => Float)
  current!: number;

  @Field(() => Int)
  samples!: number;

  @Field(() => Float, {
    nullable: true,
    description: 'The recent samples the test counts: for the loss, samples (1 − ρ)/(1 + ρ) of its lag-1 autocorrelation.',
  })
  effectiveSamples?: number | null;

  @Field(() => Int, {
    nullable: true,
    description: 'The validation rows the reference figure comes from; null where unknown (the figure is then taken as exact).',
  })
  referenceSamples?: number | null;

  @Field(() => Float)
  pValue!: number;

  @Field(() => Float)
  adjustedPValue!: number;

  @Field()
  drifted!: boolean;
}

@ObjectType({ description: 'Drift one check found, and what it set in motion.' })
export class DriftEvent {
  @Field(() => ID)
  id!: string;

  @Field(() => DriftSeverityEnum)
  severity!: DriftSeverity;

  @Field({ description: 'MANUAL (checkDrift) or SCHEDULE (a DRIFT_CHECK job).' })
  trigger!: string;

  @Field(() => [String])
  reasons!: string[];

  @Field(() => Int)
  windowRows!: number;

  @Field(() => Int)
  featureCount!: number;

  @Field(() => Int)
  driftedFeatures!: number;

  @Field(() => Int)
  majorFeatures!: number;

  @Field(() => [DistributionDrift])
  distributions!: DistributionDrift[];

  @Field(() => [PerformanceDrift])
  performance!: PerformanceDrift[];

  @Field(() => DriftResponseEnum)
  response!: DriftResponse;

  @Field(() => String, { nullable: true, description: 'Why the response was not carried out in full.' })
  responseNote!: string | null;

  @Field()
  createdAt!: Date;
}

@ObjectType()
export class DriftEventConnection {
  @Field(() => [DriftEvent])
  nodes!: DriftEvent[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;
}

@ObjectType({ description: 'The result of a drift check of the ACTIVE version; NONE checks are not recorded.' })
export class DriftCheck {
  @Field(() => RegisteredModel)
  registeredModel!: unknown;

  @Field(() => ModelVersion)
  modelVersion!: unknown;

  @Field(() => DriftSeverityEnum)
  severity!: DriftSeverity;

  @Field(() => [String])
  reasons!: string[];

  @Field(() => Int, { description: 'Recent predictions compared (0 when the check could not run).' })
  windowRows!: number;

  @Field(() => Int, { description: 'Recent outcomes used for the performance tests (0 when too few).' })
  outcomeRows!: number;

  @Field(() => [DistributionDrift])
  distributions!: DistributionDrift[];

  @Field(() => [PerformanceDrift])
  performance!: PerformanceDrift[];

  @Field(() => DriftEvent, { nullable: true, description: 'The recorded event, when drift was found.' })
  event!: DriftEvent | null;

  @Field()
  checkedAt!: Date;
}

@InputType()
export class DriftEventFilter {
  @Field(() => String, { nullable: true })
  model?: string | null;

  @Field(() => DriftSeverityEnum, { nullable: true, description: 'At least this severity (default LOW: all).' })
  minSeverity?: DriftSeverity | null;

  @Field(() => Int, { nullable: true })
  first?: number | null;

  @Field(() => String, { nullable: true })
  after?: string | null;
}
