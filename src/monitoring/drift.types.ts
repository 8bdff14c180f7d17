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
