import { Arg, Authorized, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import { Job } from '../platform/jobs/job.types';
import type { Context } from '../schema/context';
import { EvaluateModelInput, Evaluation } from './evaluation.types';

@Resolver()
export class EvaluationResolver {
  @Authorized('operator')
  @Mutation(() => Job, {
    description:
      'Queues a backtest of a version on a labelled dataset (an EVALUATE job): the version, not retrained, is scored on each fold of the scheme and on all of them pooled (a sequence version on its forecast windows, MSE and MAE per horizon step); read the report with evaluation(jobId).',
  })
  evaluateModel(@Arg('input') input: EvaluateModelInput, @Ctx() { services }: Context) {
    return services.evaluation.evaluateModel(input);
  }

  @Authorized('viewer')
  @Query(() => Evaluation, { description: 'An evaluateModel job and its report (null until it COMPLETED).' })
  async evaluation(@Arg('jobId', () => ID) jobId: string, @Ctx() { services }: Context): Promise<Evaluation> {
    const { job, result } = await services.evaluation.evaluation(jobId);
    return {
      jobId: job.id,
      job,
      model: result?.model ?? (typeof job.payload.model === 'string' ? job.payload.model : null),
      version: result?.version ?? (typeof job.payload.version === 'number' ? job.payload.version : null),
      dataset: result?.dataset ?? null,
      report: result?.report ?? null,
    };
  }
}
