import { Field, InputType, Int } from 'type-graphql';
import type { ModelVersionStatus } from '../entities/model-version.entity';
import { ModelVersionStatusEnum } from '../schema/enums';
import { JSONObjectScalar } from '../schema/scalars';
import { INPUT_LIMITS } from '../lib/input-bounds';
import { Bounded } from '../schema/input-guard';

@InputType()
export class CreateRegisteredModelInput {
  @Field()
  name!: string;

  @Field()
  family!: string;

  @Field({ nullable: true })
  description?: string;

  @Field(() => JSONObjectScalar, { nullable: true })
  tags?: Record<string, string>;
}

@InputType()
export class TrainModelInput {
  @Field({
    description: 'The registered model to add a version to (register it first with createRegisteredModel, which names its family).',
  })
  model!: string;

  @Field({ description: 'Dataset name (or id).' })
  dataset!: string;

  @Field({ nullable: true, description: 'The column to predict; required except for sequence families, which take targetColumns.' })
  targetColumn?: string;

  @Bounded({ maxItems: INPUT_LIMITS.features })
  @Field(() => [String], { nullable: true, description: 'Sequence families: the channels to forecast (default: featureColumns).' })
  targetColumns?: string[];

  @Bounded({ maxItems: INPUT_LIMITS.features })
  @Field(() => [String], { description: 'The features; for a sequence family, the input channels of each window.' })
  featureColumns!: string[];

  @Field({ description: 'Rows are trained in this order; the validation tail is the latest rows.' })
  orderColumn!: string;

  @Field(() => JSONObjectScalar, { nullable: true, description: "Validated against the family's schema; defaults fill the rest." })
  hyperparameters?: Record<string, unknown>;

  @Field({ nullable: true, description: 'Promote the new version to ACTIVE when training succeeds.' })
  activate?: boolean;

  @Field({ nullable: true })
  description?: string;
}

@InputType()
class ArtifactFileInput {
  @Bounded({ maxLength: INPUT_LIMITS.filePathLength })
  @Field({ description: 'A relative path such as "model.json": no "..", no leading "/", no control characters, at most 255 characters.' })
  path!: string;

  @Bounded({ maxLength: INPUT_LIMITS.fileChars })
  @Field()
  contentBase64!: string;
}

@InputType({ description: 'The shape a sequence model declares at import; checked against its ONNX graph.' })
export class SequenceImportInput {
  @Field(() => Int, { description: 'Rows of history a window holds (L): the graph input is [N, L, channels].' })
  inputLength!: number;

  @Field(() => Int, { description: 'Rows it forecasts (H): the graph output is [N, H, targets].' })
  horizon!: number;

  @Bounded({ maxItems: INPUT_LIMITS.features })
  @Field(() => [String], { description: 'The channels of a window, in the graph input’s order (the same as featureNames).' })
  inputChannels!: string[];

  @Bounded({ maxItems: INPUT_LIMITS.features })
  @Field(() => [String], { description: 'The forecast channels, in the graph output’s order.' })
  targets!: string[];
}

@InputType({
  description:
    'Labelled rows an imported tabular model did not train on: it and the ACTIVE version score them, and the gate before SHADOW decides.',
})
export class ImportValidationInput {
  @Field({ description: 'A dataset (name or id).' })
  dataset!: string;

  @Field({ description: 'Its column of realised values.' })
  targetColumn!: string;

  @Field({ description: 'Its time column: the rows in time order, for the gate’s periods.' })
  orderColumn!: string;
}

@InputType()
export class ImportModelInput {
  @Field({ description: 'Registered model name; created when new.' })
  name!: string;

  @Field()
  family!: string;

  @Field({ description: 'e.g. "xgboost-json", "lightgbm-text", "onnx".' })
  format!: string;

  @Bounded({ maxItems: 64 })
  @Field(() => [ArtifactFileInput])
  files!: ArtifactFileInput[];

  @Bounded({ maxItems: INPUT_LIMITS.features })
  @Field(() => [String])
  featureNames!: string[];

  @Field(() => SequenceImportInput, {
    nullable: true,
    description: 'Required for a sequence family (nhits, patchtst): the window and horizon.',
  })
  sequence?: SequenceImportInput;

  @Field({ nullable: true, defaultValue: false })
  activate!: boolean;

  @Field(() => ImportValidationInput, {
    nullable: true,
    description:
      'Judge the import against the ACTIVE version on these rows before it may score live traffic (REJECTED if the gate fails, and then not activated). Without it an import is not compared (ModelVersion.gate.compared false).',
  })
  validation?: ImportValidationInput;

  @Field({ nullable: true })
  description?: string;
}

@InputType()
export class PromoteModelInput {
  @Field()
  model!: string;

  @Field(() => Int)
  version!: number;

  @Field({ nullable: true, description: 'Kept in the model.promoted event and the audit log; required with force.' })
  reason?: string;

  @Field({
    nullable: true,
    description: 'Promote a version the gate before SHADOW REJECTED (see ModelVersion.gate); needs a reason. Default false.',
  })
  force?: boolean;
}

@InputType()
export class RejectShadowInput {
  @Field()
  model!: string;

  @Field(() => Int, { description: 'A SHADOW version.' })
  version!: number;

  @Field({ description: 'Why (required): kept in the shadow.rejected event and the audit log.' })
  reason!: string;
}

@InputType()
export class RollbackModelInput {
  @Field()
  model!: string;

  @Field(() => Int, {
    nullable: true,
    description:
      'A RETIRED version; by default the one ACTIVE before the current one that was not itself rolled back from (two rollbacks in a row go back two versions).',
  })
  version?: number;

  @Field({ nullable: true })
  reason?: string;
}

@InputType()
export class RetireModelInput {
  @Field()
  model!: string;

  @Field(() => Int, { nullable: true, description: 'The ACTIVE version (the default) or a SHADOW one.' })
  version?: number;

  @Field({ nullable: true })
  reason?: string;
}

@InputType()
export class ModelVersionFilter {
  @Field({ nullable: true })
  model?: string;

  @Field(() => [ModelVersionStatusEnum], { nullable: true })
  status?: ModelVersionStatus[];

  @Field({ nullable: true })
  family?: string;

  @Field(() => Int, { nullable: true, description: 'Page size, at most 100.' })
  first?: number;

  @Field(() => String, { nullable: true })
  after?: string;
}
