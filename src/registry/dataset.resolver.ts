import { Arg, Authorized, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import { InvalidInputError } from '../lib/errors';
import { CreateDatasetInput, Dataset } from './dataset.types';
import type { Context } from '../schema/context';

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
  @Mutation(() => Dataset, {
    description:
      'Stores rows (JSON) or CSV text as an immutable, hashed dataset, or materializes one from stored bars (features and a label, or a time series) or from the trade log.',
  })
  createDataset(@Arg('input') input: CreateDatasetInput, @Ctx() { services }: Context) {
    const { bars, series, trades, ...table } = input;
    const given = [table.rows != null, table.csv != null, bars != null, series != null, trades != null].filter(Boolean).length;
    if (given !== 1) throw new InvalidInputError('expects exactly one of rows, csv, bars, series or trades', { field: 'input' });
    const time = (date: Date | undefined) => date?.getTime();
    if (bars)
      return services.features.materializeBarsDataset({
        name: input.name,
        description: input.description,
        spec: { ...bars, from: time(bars.from), to: time(bars.to) },
      });
    if (series)
      return services.features.materializeSeriesDataset({
        name: input.name,
        description: input.description,
        spec: { ...series, from: time(series.from), to: time(series.to) },
      });
    if (trades)
      return services.features.materializeTradesDataset({
        name: input.name,
        description: input.description,
        spec: { ...trades, from: time(trades.from), to: time(trades.to) },
      });
    return services.datasets.createDataset(table);
  }
}
