import { Field, Float, Int, ObjectType } from 'type-graphql';
import { ModelVersion } from '../registry/model.types';

@ObjectType()
class MetricComparison {
  @Field()
  name!: string;

  @Field(() => Float, { nullable: true })
  a!: number | null;

  @Field(() => Float, { nullable: true })
  b!: number | null;

  @Field(() => Float, { nullable: true, description: 'b − a' })
  difference!: number | null;
}

@ObjectType()
class PredictionAgreement {
  @Field()
  dataset!: string;

  @Field(() => Int)
  rows!: number;

  @Field(() => Float, { description: 'Share of rows with the same sign (regression) or class (binary).' })
  agreementRate!: number;

  @Field(() => Float)
  meanAbsoluteDifference!: number;

  @Field(() => Float, { nullable: true })
  correlation!: number | null;
}

@ObjectType()
export class ModelComparison {
  @Field(() => ModelVersion)
  a!: ModelVersion;

  @Field(() => ModelVersion)
  b!: ModelVersion;

  @Field(() => [MetricComparison])
  metrics!: MetricComparison[];

  @Field(() => PredictionAgreement, { nullable: true })
  agreement!: PredictionAgreement | null;
}
