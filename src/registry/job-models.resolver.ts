/** The model and version a job concerns, as fields of Job (jobs sit below the registry and do not know its types). */
import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import type { JobEntity } from '../entities/job.entity';
import { Job } from '../platform/jobs/job.types';
import type { Context } from '../schema/context';
import { ModelVersion, RegisteredModel } from './model.types';

@Resolver(() => Job)
export class JobModelsResolver {
  @FieldResolver(() => RegisteredModel, { nullable: true })
  registeredModel(@Root() job: JobEntity, @Ctx() { loaders }: Context) {
    return job.registeredModelId ? loaders.registeredModel.load(job.registeredModelId) : null;
  }

  @FieldResolver(() => ModelVersion, { nullable: true, description: 'The version this job trained.' })
  modelVersion(@Root() job: JobEntity, @Ctx() { loaders }: Context) {
    return job.modelVersionId ? loaders.modelVersion.load(job.modelVersionId) : null;
  }
}
