import { Arg, Authorized, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import { CreateDatasetInput, Dataset } from '../schema/dataset.types';
import type { Context } from './context';

@Resolver(() => Dataset)
export class DatasetResolver {
  @Authorized('viewer')
  @Query(() => [Dataset])
  datasets(@Ctx() { services }: Context) {
    return services.datasets.listDatasets();
  }

  @Authorized('viewer')
  @Query(() => Dataset)
  dataset(@Arg('name') name: string, @Ctx() { services }: Context) {
    return services.datasets.getDataset(name);
  }

  @Authorized('operator')
  @Mutation(() => Dataset, { description: 'Stores rows (JSON) or CSV text as an immutable, hashed dataset.' })
  createDataset(@Arg('input') input: CreateDatasetInput, @Ctx() { services }: Context) {
    return services.datasets.createDataset(input);
  }
}
