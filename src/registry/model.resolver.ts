import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { ModelVersionEntity } from '../entities/model-version.entity';
import type { RegisteredModelEntity } from '../entities/registered-model.entity';
import {
  ArtifactFile,
  FeatureImportance,
  Family,
  ModelVersion,
  ModelVersionConnection,
  RegisteredModel,
  RegisteredModelConnection,
} from './model.types';
import {
  CreateRegisteredModelInput,
  ImportModelInput,
  ModelVersionFilter,
  PromoteModelInput,
  RetireModelInput,
  RejectShadowInput,
  RollbackModelInput,
} from './model.inputs';
import { Dataset } from './dataset.types';
import { Job } from '../platform/jobs/job.types';
import { InvalidInputError, quote } from '../lib/errors';
import { checkRelativePath } from '../lib/input-bounds';
import type { Context } from '../schema/context';
import { ModelVersionStatusEnum } from '../schema/enums';

/** The files of an import by path: each path a safe relative one and given once, each content base64 — checked before any is decoded. */
function decodeFiles(files: ImportModelInput['files']): Record<string, Uint8Array> {
  const seen = new Set<string>();
  files.forEach(({ path, contentBase64 }, i) => {
    checkRelativePath(`files[${i}].path`, path);
    if (seen.has(path))
      throw new InvalidInputError(`expects each file path once, but files[${i}].path ${quote(path)} appears before`, {
        field: `files[${i}].path`,
      });
    seen.add(path);
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(contentBase64)) {
      throw new InvalidInputError(`expects files[${i}].contentBase64 (${quote(path)}) to be base64, but it is not`, {
        field: `files[${i}].contentBase64`,
      });
    }
  });
  return Object.fromEntries(files.map(({ path, contentBase64 }) => [path, Buffer.from(contentBase64, 'base64')]));
}

@Resolver()
export class FamilyResolver {
  @Authorized('viewer')
  @Query(() => [Family], { description: 'The model families this server can train, import and serve.' })
  families(@Ctx() { services }: Context): Family[] {
    return services.families.list().map((family) => {
      const availability = family.availability?.() ?? { available: true };
      return {
        id: family.id,
        kind: family.kind,
        description: family.description,
        hyperparameterSchema: services.families.hyperparameterSchema(family.id),
        importFormats: family.importFormats ?? [],
        supportsUpdate: typeof family.update === 'function',
        available: availability.available,
        unavailableReason: availability.reason ?? null,
      };
    });
  }
}

@Resolver(() => RegisteredModel)
export class RegisteredModelResolver {
  @Authorized('viewer')
  @Query(() => RegisteredModelConnection)
  registeredModels(
    @Ctx() { services }: Context,
    @Arg('first', () => Int, { nullable: true }) first?: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
    @Arg('family', () => String, { nullable: true }) family?: string,
  ) {
    return services.registry.searchRegisteredModels({ first, after, family }).then((page) => ({ nodes: page.nodes, pageInfo: page }));
  }

  @Authorized('viewer')
  @Query(() => RegisteredModel)
  registeredModel(@Arg('name') name: string, @Ctx() { services }: Context) {
    return services.registry.getRegisteredModel(name);
  }

  @Authorized('operator')
  @Mutation(() => RegisteredModel)
  createRegisteredModel(@Arg('input') input: CreateRegisteredModelInput, @Ctx() { services }: Context) {
    return services.registry.createRegisteredModel(input);
  }

  @FieldResolver(() => ModelVersion, { nullable: true, description: 'The version that answers predictions.' })
  activeVersion(@Root() model: RegisteredModelEntity, @Ctx() { services }: Context) {
    return services.registry.activeVersion(model.id);
  }

  @FieldResolver(() => ModelVersionConnection)
  versions(
    @Root() model: RegisteredModelEntity,
    @Ctx() { services }: Context,
    @Arg('status', () => [ModelVersionStatusEnum], { nullable: true }) status?: ModelVersionEntity['status'][],
    @Arg('first', () => Int, { nullable: true }) first?: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
  ) {
    return services.registry
      .searchModelVersions({ model: model.name, status, first, after })
      .then((page) => ({ nodes: page.nodes, pageInfo: page }));
  }
}

@Resolver(() => ModelVersion)
export class ModelVersionResolver {
  @Authorized('viewer')
  @Query(() => ModelVersion)
  modelVersion(@Arg('id', () => ID) id: string, @Ctx() { services }: Context) {
    return services.registry.getModelVersion(id);
  }

  @Authorized('viewer')
  @Query(() => ModelVersionConnection)
  modelVersions(
    @Arg('filter', () => ModelVersionFilter, { nullable: true }) filter: ModelVersionFilter | undefined,
    @Ctx() { services }: Context,
  ) {
    return services.registry.searchModelVersions(filter ?? {}).then((page) => ({ nodes: page.nodes, pageInfo: page }));
  }

  @Authorized('operator')
  @Mutation(() => ModelVersion, { description: 'Registers a model trained elsewhere as a SHADOW version (ACTIVE with activate: true).' })
  importModel(@Arg('input') input: ImportModelInput, @Ctx() { services }: Context) {
    return services.lifecycle.importModel({ ...input, model: input.name, files: decodeFiles(input.files) });
  }

  @Authorized('operator')
  @Mutation(() => ModelVersion)
  promoteModel(@Arg('input') input: PromoteModelInput, @Ctx() { services }: Context) {
    return services.lifecycle.promoteModel(input);
  }

  @Authorized('operator')
  @Mutation(() => ModelVersion)
  rollbackModel(@Arg('input') input: RollbackModelInput, @Ctx() { services }: Context) {
    return services.lifecycle.rollbackModel(input);
  }

  @Authorized('operator')
  @Mutation(() => ModelVersion, {
    description: 'Rejects a SHADOW version by hand: it stops scoring requests and is never promoted automatically.',
  })
  rejectShadow(@Arg('input') input: RejectShadowInput, @Ctx() { services }: Context) {
    return services.lifecycle.rejectShadowVersion(input);
  }

  @Authorized('operator')
  @Mutation(() => ModelVersion)
  retireModel(@Arg('input') input: RetireModelInput, @Ctx() { services }: Context) {
    return services.lifecycle.retireModel(input);
  }

  @FieldResolver(() => RegisteredModel)
  async registeredModel(@Root() version: ModelVersionEntity, @Ctx() { loaders }: Context) {
    return loaders.registeredModel.load(version.registeredModelId);
  }

  @FieldResolver(() => ModelVersion, { nullable: true, description: 'The version this one continued from (lineage).' })
  parent(@Root() version: ModelVersionEntity, @Ctx() { loaders }: Context) {
    return version.parentVersionId ? loaders.modelVersion.load(version.parentVersionId) : null;
  }

  @FieldResolver(() => [ModelVersion], { description: 'Ancestors, nearest first.' })
  async lineage(@Root() version: ModelVersionEntity, @Ctx() { loaders }: Context) {
    const ancestors: ModelVersionEntity[] = [];
    let parentId = version.parentVersionId;
    while (parentId && ancestors.length < 1000) {
      const parent = await loaders.modelVersion.load(parentId);
      if (!parent) break;
      ancestors.push(parent);
      parentId = parent.parentVersionId;
    }
    return ancestors;
  }

  @FieldResolver(() => Dataset, { nullable: true, description: 'The dataset this version was trained on.' })
  dataset(@Root() version: ModelVersionEntity, @Ctx() { loaders }: Context) {
    return version.datasetId ? loaders.dataset.load(version.datasetId) : null;
  }

  @FieldResolver(() => Job, { nullable: true })
  job(@Root() version: ModelVersionEntity, @Ctx() { loaders }: Context) {
    return version.jobId ? loaders.job.load(version.jobId) : null;
  }

  @FieldResolver(() => [ArtifactFile])
  artifacts(@Root() version: ModelVersionEntity): ArtifactFile[] {
    return version.artifactFiles.map(({ path, sha256, size }) => ({ path, sha256, size }));
  }

  @FieldResolver(() => [FeatureImportance], { description: 'Gain importance, largest first.' })
  featureImportance(@Root() version: ModelVersionEntity): FeatureImportance[] {
    return Object.entries(version.featureImportance ?? {})
      .map(([feature, importance]) => ({ feature, importance }))
      .sort((x, y) => y.importance - x.importance);
  }
}
