import { Field, Float, ID, Int, ObjectType } from 'type-graphql';
import type { ModelVersionSource, ModelVersionStatus } from '../entities/model-version.entity';
import { PageInfo } from '../schema/common.types';
import { FamilyKindEnum, ModelVersionSourceEnum, ModelVersionStatusEnum } from '../schema/enums';
import { JSONObjectScalar, JSONScalar } from '../schema/scalars';

@ObjectType({ description: 'A model family: one trainer/predictor behind the plugin contract.' })
export class Family {
  @Field(() => ID)
  id!: string;

  @Field(() => FamilyKindEnum)
  kind!: string;

  @Field()
  description!: string;

  @Field(() => JSONScalar, { description: 'JSON Schema of the hyperparameters, with their defaults.' })
  hyperparameterSchema!: unknown;

  @Field(() => [String], { description: 'Formats importModel accepts for this family.' })
  importFormats!: string[];

  @Field({ description: 'Whether versions can be updated incrementally from their parent.' })
  supportsUpdate!: boolean;

  @Field({ description: 'Whether this server can train the family (its stored and imported versions serve regardless).' })
  available!: boolean;

  @Field(() => String, { nullable: true, description: 'Why it cannot train here, and the command that fixes it.' })
  unavailableReason!: string | null;
}

@ObjectType()
export class RegisteredModel {
  @Field(() => ID)
  id!: string;

  @Field()
  name!: string;

  @Field()
  family!: string;

  @Field()
  description!: string;

  @Field(() => JSONObjectScalar)
  tags!: Record<string, string>;

  @Field(() => Int, { description: 'Bumped by each promotion, rollback and retirement.' })
  revision!: number;

  @Field()
  createdAt!: Date;

  @Field()
  updatedAt!: Date;
}

@ObjectType()
@ObjectType({ description: "A sequence model's window and horizon." })
class SequenceShapeType {
  @Field(() => Int, { description: 'Rows of history a forecast takes (L).' })
  inputLength!: number;

  @Field(() => Int, { description: 'Rows it forecasts (H).' })
  horizon!: number;

  @Field(() => [String], { description: 'The channels of each history row, in order.' })
  inputChannels!: string[];

  @Field(() => [String], { description: 'The channels of each forecast row, in order.' })
  targets!: string[];
}

@ObjectType()
class ModelSignatureType {
  @Field()
  task!: string;

  @Field(() => Int)
  inputWidth!: number;

  @Field(() => [String])
  outputs!: string[];

  @Field()
  allowsMissing!: boolean;

  @Field(() => SequenceShapeType, { nullable: true, description: 'Set for a sequence model (task forecast).' })
  sequence?: SequenceShapeType | null;
}

@ObjectType()
export class ArtifactFile {
  @Field()
  path!: string;

  @Field()
  sha256!: string;

  @Field(() => Int)
  size!: number;
}

@ObjectType()
export class FeatureImportance {
  @Field()
  feature!: string;

  @Field(() => Float)
  importance!: number;
}

@ObjectType({ description: 'One arm of the gate before SHADOW (the candidate or the ACTIVE version) on the held-out rows.' })
export class GateArm {
  @Field(() => Float, { description: 'Mean per-row loss: squared error (regression) or log loss (binary).' })
  meanLoss!: number;

  @Field(() => Float, { nullable: true, description: 'Sign-trading max drawdown, percent (null where the labels are not returns).' })
  maxDrawdownPct!: number | null;

  @Field(() => Float, { nullable: true, description: 'Sign-trading 95% expected shortfall, a loss as a positive fraction.' })
  expectedShortfall95!: number | null;

  @Field(() => Float, { nullable: true })
  sharpe!: number | null;
}

@ObjectType({ description: 'One contiguous period of the held-out rows, oldest first.' })
export class GateFold {
  @Field(() => Int)
  rows!: number;

  @Field(() => Float)
  candidateLoss!: number;

  @Field(() => Float)
  activeLoss!: number;
}

@ObjectType({
  description:
    "What the gate before SHADOW found when the version was registered: the candidate and the ACTIVE version scored on the candidate's held-out rows by the policy's promotion_gate.",
})
export class PromotionGateResult {
  @Field({ description: 'Whether the candidate went on to SHADOW (false: registered REJECTED).' })
  passed!: boolean;

  @Field({ description: 'False when nothing was compared (no ACTIVE version, another task or other features, the gate off).' })
  compared!: boolean;

  @Field(() => Int, { nullable: true })
  againstVersion!: number | null;

  @Field(() => String, { nullable: true, description: 'squared_error or log_loss.' })
  lossName!: string | null;

  @Field(() => Int)
  rows!: number;

  @Field(() => Float, { nullable: true, description: '(ACTIVE loss − candidate loss) / ACTIVE loss · 100.' })
  improvementPct!: number | null;

  @Field(() => Int, { nullable: true })
  foldsImproved!: number | null;

  @Field(() => [GateFold])
  folds!: GateFold[];

  @Field(() => GateArm, { nullable: true })
  candidate!: GateArm | null;

  @Field(() => GateArm, { nullable: true })
  active!: GateArm | null;

  @Field(() => [String], { description: 'Why it passed, or every check that failed.' })
  reasons!: string[];
}

@ObjectType()
export class ModelVersion {
  @Field(() => ID)
  id!: string;

  @Field(() => Int)
  version!: number;

  @Field(() => ModelVersionStatusEnum)
  status!: ModelVersionStatus;

  @Field(() => ModelVersionSourceEnum)
  source!: ModelVersionSource;

  @Field()
  family!: string;

  @Field(() => String, { nullable: true })
  format!: string | null;

  @Field(() => [String])
  featureNames!: string[];

  @Field(() => ModelSignatureType, { nullable: true })
  signature!: ModelSignatureType | null;

  @Field(() => JSONObjectScalar)
  hyperparameters!: Record<string, unknown>;

  @Field(() => JSONObjectScalar, { description: 'Validation metrics (rmse, mae, r2, directional_accuracy; logloss, auc, accuracy; …).' })
  metrics!: Record<string, number>;

  @Field(() => JSONObjectScalar, { nullable: true, description: 'What training saw: target, feature and order columns.' })
  trainingSpec!: Record<string, unknown> | null;

  @Field(() => String, { nullable: true, description: 'Why a FAILED version failed, or why a SUPERSEDED one was replaced.' })
  error!: string | null;

  @Field(() => PromotionGateResult, {
    nullable: true,
    description: 'The gate before SHADOW (null: not gated — imported, an RL snapshot, or registered before the gate).',
  })
  gate!: PromotionGateResult | null;

  @Field()
  description!: string;

  @Field()
  createdAt!: Date;

  @Field()
  statusChangedAt!: Date;

  @Field(() => Date, { nullable: true })
  activatedAt!: Date | null;
}

@ObjectType()
export class ModelVersionConnection {
  @Field(() => [ModelVersion])
  nodes!: ModelVersion[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;
}

@ObjectType()
export class RegisteredModelConnection {
  @Field(() => [RegisteredModel])
  nodes!: RegisteredModel[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;
}
