import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import type { ColumnType } from '../lib/dataset-table';
import { BarsDatasetInput, SeriesDatasetInput, TradesDatasetInput } from './dataset-spec.inputs';
import { ColumnTypeEnum } from '../schema/enums';
import { JSONObjectScalar, JSONScalar } from '../schema/scalars';
import { INPUT_LIMITS } from '../lib/input-bounds';
import { Bounded } from '../schema/input-guard';

@ObjectType()
class DatasetColumn {
  @Field()
  name!: string;

  @Field(() => ColumnTypeEnum)
  type!: ColumnType;
}

@ObjectType({ description: 'An immutable, hashed table that training reads.' })
export class Dataset {
  @Field(() => ID)
  id!: string;

  @Field()
  name!: string;

  @Field()
  description!: string;

  @Field({ description: 'ROWS, CSV, BARS, SERIES or TRADES.' })
  source!: string;

  @Field(() => [DatasetColumn])
  columns!: DatasetColumn[];

  @Field(() => Int)
  rowCount!: number;

  @Field()
  sha256!: string;

  @Field(() => Int)
  sizeBytes!: number;

  @Field(() => JSONObjectScalar, { nullable: true, description: 'How a materialized dataset was built.' })
  spec!: Record<string, unknown> | null;

  @Field()
  createdAt!: Date;
}

@InputType()
class DatasetColumnInput {
  @Field()
  name!: string;

  @Field(() => ColumnTypeEnum)
  type!: ColumnType;
}

@InputType({
  description:
    'Exactly one of rows (JSON objects), csv (text with a header line), bars (features and labels from stored bars), series (a time series of bar fields from stored bars) or trades (the trade log).',
})
export class CreateDatasetInput {
  @Field()
  name!: string;

  @Field({ nullable: true })
  description?: string;

  @Bounded({ maxNodes: 20_000_000, maxChars: INPUT_LIMITS.fileChars })
  @Field(() => JSONScalar, { nullable: true })
  rows?: unknown;

  @Bounded({ maxLength: INPUT_LIMITS.fileChars })
  @Field({ nullable: true })
  csv?: string;

  @Bounded({ maxItems: INPUT_LIMITS.features })
  @Field(() => [DatasetColumnInput], { nullable: true, description: 'Declared column types; others are inferred.' })
  columns?: DatasetColumnInput[];

  @Field(() => BarsDatasetInput, { nullable: true })
  bars?: BarsDatasetInput;

  @Field(() => SeriesDatasetInput, { nullable: true })
  series?: SeriesDatasetInput;

  @Field(() => TradesDatasetInput, { nullable: true })
  trades?: TradesDatasetInput;
}
