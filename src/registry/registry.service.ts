/**
 * The model registry, shaped like MLflow's model store: registered models and their numbered
 * versions, each version's artifacts in the artifact store under `models/{name}/v{version}/{file}`
 * with their SHA-256 in the database. A version becomes visible to serving only in the transaction
 * that records its artifacts and appends `model.registered`; artifacts written for a transaction that
 * fails are deleted, so nothing is ever half-registered.
 */
import type { DataSource, EntityManager } from 'typeorm';
import {
  ModelVersionEntity,
  type ModelVersionSource,
  type ModelVersionStatus,
  type PromotionGateFigures,
  type StoredArtifactFile,
} from '../entities/model-version.entity';
import type { JobKind } from '../entities/job.entity';
import { RegisteredModelEntity } from '../entities/registered-model.entity';
import { KeysetPage, type Page } from '../lib/cursor';
import { ConflictError, InvalidInputError, NotFoundError, quote } from '../lib/errors';
import type { ArtifactFiles, ImportMeta, ModelArtifact, TrainedModel } from '../plugins/contract';
import type { FamilyRegistry } from '../plugins';
import type { ArtifactStore } from '../storage/artifact-store';
import { PG_UNIQUE_VIOLATION, pgErrorCode } from '../db/postgres-errors';
import type { EventsService } from '../platform/events/events.service';
import { isUuid } from '../lib/ids';

const MODEL_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const FILE_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

function checkModelName(name: string, field = 'name'): void {
  if (!MODEL_NAME_PATTERN.test(name)) {
    throw new InvalidInputError(`expects a model name of letters, digits, _ . - (up to 64), but got ${quote(name)}`, { field });
  }
}

function artifactKey(modelName: string, version: number, path: string): string {
  return `models/${modelName}/v${version}/${path}`;
}

export interface VersionFilter {
  model?: string;
  status?: ModelVersionStatus[];
  family?: string;
  first?: number;
  after?: string;
}

export interface ImportRequest {
  model: string;
  family: string;
  format: string;
  files: ArtifactFiles;
  featureNames: string[];
  /** A sequence model's declared shape; its input channels must be featureNames. */
  sequence?: ImportMeta['sequence'] | null;
  description?: string | null;
  /** Labelled rows to judge a tabular import on before it may score live traffic (the gate before SHADOW). */
  validation?: ImportValidation | null;
}

export interface ImportValidation {
  dataset: string;
  targetColumn: string;
  orderColumn: string;
}

/** The gate's verdict on an import about to be registered (LifecycleService's `importWillRegister` hook). */
export type ImportJudge = (candidate: {
  modelName: string;
  trained: TrainedModel;
  validation: ImportValidation;
}) => Promise<PromotionGateFigures>;

export interface NewVersion {
  registeredModel: RegisteredModelEntity;
  source: ModelVersionSource;
  hyperparameters?: Record<string, unknown>;
  datasetId?: string | null;
  parentVersionId?: string | null;
  jobId?: string | null;
  trainingSpec?: Record<string, unknown> | null;
  description?: string;
}

/** What a trained (or imported) model writes into its version's row: the artifact's description, its figures and its stored files. */
function trainedColumns(trained: TrainedModel, files: ModelVersionEntity['artifactFiles']) {
  return {
    format: trained.artifact.format,
    featureNames: trained.artifact.featureNames,
    signature: trained.artifact.signature,
    metrics: trained.metrics,
    featureImportance: trained.featureImportance ?? null,
    reference: trained.reference ?? null,
    artifactFiles: files,
  };
}

/**
 * What decides a trained candidate's status as it is registered: the gate before SHADOW's verdict (null:
 * not gated), how many SHADOW versions the model may keep, and the kind of job that trained it.
 */
export interface CandidateAdmission {
  gate: PromotionGateFigures | null;
  maxShadows: number;
  kind: JobKind | null;
  /** An RL snapshot: registered SNAPSHOT (kept, promotable by hand), not a SHADOW. */
  snapshot?: boolean;
}

/** Jobs whose candidates replace the unjudged SHADOW an earlier job of their kind registered. */
const AUTOMATIC_CANDIDATE_KINDS: JobKind[] = ['FULL', 'PARTIAL', 'INCREMENTAL', 'TUNING'];

export class RegistryService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly store: ArtifactStore,
    private readonly families: FamilyRegistry,
    private readonly events: EventsService,
  ) {}

  async createRegisteredModel(input: {
    name: string;
    family: string;
    description?: string;
    tags?: Record<string, string>;
  }): Promise<RegisteredModelEntity> {
    checkModelName(input.name);
    this.families.get(input.family);
    try {
      return await this.dataSource.getRepository(RegisteredModelEntity).save({
        name: input.name,
        family: input.family,
        description: input.description ?? '',
        tags: input.tags ?? {},
      });
    } catch (error) {
      if (pgErrorCode(error) === PG_UNIQUE_VIOLATION)
        throw new ConflictError(`a registered model named ${quote(input.name)} already exists`);
      throw error;
    }
  }

  async getRegisteredModel(name: string, manager: EntityManager = this.dataSource.manager): Promise<RegisteredModelEntity> {
    const model = await manager.findOneBy(RegisteredModelEntity, { name });
    if (!model) throw new NotFoundError(`no registered model named ${quote(name)}`, { field: 'model' });
    return model;
  }

  async searchRegisteredModels(input: { first?: number; after?: string; family?: string }): Promise<Page<RegisteredModelEntity>> {
    const page = new KeysetPage<RegisteredModelEntity>(input, { column: 'm.name', direction: 'ASC', text: (model) => model.name });
    const query = this.dataSource.getRepository(RegisteredModelEntity).createQueryBuilder('m');
    if (input.family) query.andWhere('m.family = :family', { family: input.family });
    return page.fetch(query);
  }

  async getModelVersion(id: string): Promise<ModelVersionEntity> {
    const version = isUuid(id) ? await this.dataSource.getRepository(ModelVersionEntity).findOneBy({ id }) : null;
    if (!version) throw new NotFoundError(`no model version with id ${id}`, { field: 'id' });
    return version;
  }

  /** A version of `model` by number. */
  async findVersion(
    model: RegisteredModelEntity,
    version: number,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<ModelVersionEntity> {
    const found = await manager.findOneBy(ModelVersionEntity, { registeredModelId: model.id, version });
    if (!found) throw new NotFoundError(`model "${model.name}" has no version ${version}`, { field: 'version' });
    return found;
  }

  async activeVersion(registeredModelId: string): Promise<ModelVersionEntity | null> {
    return this.dataSource.getRepository(ModelVersionEntity).findOneBy({ registeredModelId, status: 'ACTIVE' });
  }

  async searchModelVersions(filter: VersionFilter): Promise<Page<ModelVersionEntity>> {
    const page = new KeysetPage<ModelVersionEntity>(filter, {
      column: 'v.created_at',
      tieBreak: 'v.id',
      direction: 'DESC',
      time: (version) => version.createdAt,
    });
    const query = this.dataSource.getRepository(ModelVersionEntity).createQueryBuilder('v');
    if (filter.model) {
      const model = await this.getRegisteredModel(filter.model);
      query.andWhere('v.registered_model_id = :modelId', { modelId: model.id });
    }
    if (filter.status?.length) query.andWhere('v.status IN (:...status)', { status: filter.status });
    if (filter.family) query.andWhere('v.family = :family', { family: filter.family });
    return page.fetch(query);
  }

  /** Inserts a TRAINING version with the next number; training fills it in or fails it. */
  async beginVersion(input: NewVersion, manager?: EntityManager): Promise<ModelVersionEntity> {
    const run = async (tx: EntityManager) => {
      const version = await this.nextVersionNumber(tx, input.registeredModel.id);
      return tx.save(
        tx.create(ModelVersionEntity, {
          registeredModelId: input.registeredModel.id,
          version,
          status: 'TRAINING',
          source: input.source,
          family: input.registeredModel.family,
          hyperparameters: input.hyperparameters ?? {},
          datasetId: input.datasetId ?? null,
          parentVersionId: input.parentVersionId ?? null,
          jobId: input.jobId ?? null,
          trainingSpec: input.trainingSpec ?? null,
          description: input.description ?? '',
        }),
      );
    };
    return manager ? run(manager) : this.dataSource.transaction(run);
  }

  /**
   * Stores a trained model's artifacts and turns its TRAINING version into a SHADOW one — REJECTED when
   * the admission's `gate` (the gate before SHADOW's verdict, kept on the version) failed it, with
   * `model.gate.failed` — appending `model.registered` in the same transaction. A new SHADOW supersedes
   * older ones by the admission's rule (supersedeShadows). Refuses if the version is no longer TRAINING (e.g. its
   * job was cancelled meanwhile). `inTransaction` runs inside that transaction with the completed
   * version (the retraining orchestrator records its learning event there).
   */
  async completeVersion(
    versionId: string,
    trained: TrainedModel,
    inTransaction?: (tx: EntityManager, completed: ModelVersionEntity) => Promise<void>,
    admission: CandidateAdmission = { gate: null, maxShadows: Infinity, kind: null },
  ): Promise<ModelVersionEntity> {
    const { gate } = admission;
    const version = await this.getModelVersion(versionId);
    const model = await this.dataSource.getRepository(RegisteredModelEntity).findOneByOrFail({ id: version.registeredModelId });
    const files = await this.writeArtifacts(model.name, version.version, trained.artifact.files);
    try {
      return await this.dataSource.transaction(async (tx) => {
        const result = await tx
          .createQueryBuilder()
          .update(ModelVersionEntity)
          .set({
            status: gate && !gate.passed ? 'REJECTED' : admission.snapshot ? 'SNAPSHOT' : 'SHADOW',
            ...trainedColumns(trained, files),
            gate,
            statusChangedAt: () => 'now()',
          })
          .where('id = :id AND status = :status', { id: versionId, status: 'TRAINING' })
          .execute();
        if (result.affected !== 1)
          throw new ConflictError(`version ${version.version} of "${model.name}" is no longer TRAINING; its result was discarded`);
        const completed = await tx.findOneByOrFail(ModelVersionEntity, { id: versionId });
        await this.events.append(tx, {
          type: 'model.registered',
          modelName: model.name,
          modelVersionId: versionId,
          jobId: completed.jobId,
          payload: {
            model: model.name,
            version: completed.version,
            status: completed.status,
            source: completed.source,
            metrics: completed.metrics,
          },
        });
        if (completed.status === 'SHADOW') await this.supersedeShadows(tx, model, completed, admission);
        if (gate && !gate.passed) {
          await this.events.append(tx, {
            type: 'model.gate.failed',
            modelName: model.name,
            modelVersionId: versionId,
            jobId: completed.jobId,
            payload: { model: model.name, version: completed.version, ...gate },
          });
        }
        if (inTransaction) await inTransaction(tx, completed);
        return completed;
      });
    } catch (error) {
      await this.deleteArtifacts(files);
      throw error;
    }
  }

  /**
   * Keeps the shadows of `model` few and fresh as `fresh` becomes SHADOW, in the registration's
   * transaction: a candidate of an automatic retraining (FULL, PARTIAL, INCREMENTAL, TUNING) replaces the
   * oldest SHADOW of the same job kind, then the oldest SHADOWs go until at most `maxShadows` remain.
   * Manual trainings (TRAIN) supersede no sibling of their own kind, only by the limit. Each replaced
   * version becomes SUPERSEDED with `model.superseded`.
   */
  private async supersedeShadows(
    tx: EntityManager,
    model: RegisteredModelEntity,
    fresh: ModelVersionEntity,
    { maxShadows, kind }: CandidateAdmission,
  ): Promise<void> {
    const others: { id: string; version: number; kind: string | null }[] = await tx.query(
      `SELECT v.id, v.version, j.kind FROM model_versions v LEFT JOIN jobs j ON j.id = v.job_id
        WHERE v.registered_model_id = $1 AND v.status = 'SHADOW' AND v.id <> $2
        ORDER BY v.version
        FOR UPDATE OF v`,
      [model.id, fresh.id],
    );
    const replaced: { id: string; version: number; reason: string }[] = [];
    const sameKind = kind && AUTOMATIC_CANDIDATE_KINDS.includes(kind) ? others.find((other) => other.kind === kind) : undefined;
    if (sameKind)
      replaced.push({ ...sameKind, reason: `replaced by version ${fresh.version}, a newer ${kind} candidate, before its verdict` });
    const remaining = others.filter((other) => other !== sameKind);
    for (const other of remaining.slice(0, Math.max(0, remaining.length + 1 - maxShadows))) {
      replaced.push({
        ...other,
        reason: `replaced by version ${fresh.version}: at most shadow_testing.max_shadows (${maxShadows}) SHADOW versions, the oldest go first`,
      });
    }
    for (const { id, version, reason } of replaced) {
      await tx.update(ModelVersionEntity, { id }, { status: 'SUPERSEDED', error: reason, statusChangedAt: () => 'now()' });
      await this.events.append(tx, {
        type: 'model.superseded',
        modelName: model.name,
        modelVersionId: id,
        payload: { model: model.name, version, by: fresh.version, reason },
      });
    }
  }

  /** Marks a TRAINING version FAILED with the reason; a no-op for versions already past TRAINING. */
  async failVersion(versionId: string, reason: string): Promise<void> {
    await this.dataSource
      .createQueryBuilder()
      .update(ModelVersionEntity)
      .set({ status: 'FAILED', error: reason.slice(0, 4000), statusChangedAt: () => 'now()' })
      .where('id = :id AND status = :status', { id: versionId, status: 'TRAINING' })
      .execute();
  }

  /**
   * Registers a model trained elsewhere as a new SHADOW version in one transaction (artifact files,
   * version row, `model.registered`). `afterInsert` runs inside that transaction (used to activate it).
   */
  async importVersion(
    input: ImportRequest,
    afterInsert?: (tx: EntityManager, version: ModelVersionEntity, model: RegisteredModelEntity) => Promise<void>,
    judge?: ImportJudge,
  ): Promise<ModelVersionEntity> {
    checkModelName(input.model, 'name');
    const family = this.families.get(input.family);
    if (!family.importArtifact || !family.importFormats?.includes(input.format)) {
      throw new InvalidInputError(
        `expects a format family "${family.id}" can import (${(family.importFormats ?? []).join(', ') || 'none'}), but got ${quote(input.format)}`,
        { field: 'format' },
      );
    }
    for (const path of Object.keys(input.files)) {
      if (!FILE_NAME_PATTERN.test(path))
        throw new InvalidInputError(`expects plain file names, but got ${quote(path)}`, { field: 'files.path' });
    }
    checkFeatureNames(input.featureNames);
    const sequence = input.sequence ?? undefined;
    if (sequence && sequence.inputChannels.join('\u0000') !== input.featureNames.join('\u0000')) {
      throw new InvalidInputError('expects sequence.inputChannels to equal featureNames (a window’s channels are its features)', {
        field: 'sequence.inputChannels',
      });
    }
    const trained = await family.importArtifact(input.files, input.format, { featureNames: input.featureNames, sequence });
    // Refuse now what serving could not load later.
    await (await family.load(trained.artifact)).dispose();
    const gate = input.validation && judge ? await judge({ modelName: input.model, trained, validation: input.validation }) : null;
    const status = gate && !gate.passed ? 'REJECTED' : 'SHADOW';

    let files: StoredArtifactFile[] = [];
    try {
      return await this.dataSource.transaction(async (tx) => {
        let model = await tx.findOneBy(RegisteredModelEntity, { name: input.model });
        if (!model) {
          model = await tx.save(
            tx.create(RegisteredModelEntity, { name: input.model, family: family.id, description: input.description ?? '' }),
          );
        } else if (model.family !== family.id) {
          throw new ConflictError(`model "${model.name}" is of family ${model.family}, but the import is ${family.id}`);
        }
        const number = await this.nextVersionNumber(tx, model.id);
        files = await this.writeArtifacts(model.name, number, trained.artifact.files);
        const version = await tx.save(
          tx.create(ModelVersionEntity, {
            registeredModelId: model.id,
            version: number,
            status,
            source: 'IMPORTED',
            family: family.id,
            ...trainedColumns(trained, files),
            gate,
            trainingSpec: { importedFormat: input.format, ...(input.validation ? { validation: input.validation } : {}) },
            description: input.description ?? '',
          }),
        );
        await this.events.append(tx, {
          type: 'model.registered',
          modelName: model.name,
          modelVersionId: version.id,
          payload: { model: model.name, version: version.version, status, source: 'IMPORTED', format: input.format },
        });
        if (gate && !gate.passed) {
          await this.events.append(tx, {
            type: 'model.gate.failed',
            modelName: model.name,
            modelVersionId: version.id,
            payload: { model: model.name, version: version.version, ...gate },
          });
        } else if (afterInsert) await afterInsert(tx, version, model);
        return tx.findOneByOrFail(ModelVersionEntity, { id: version.id });
      });
    } catch (error) {
      await this.deleteArtifacts(files);
      throw error;
    }
  }

  /** Reads every artifact file of `version`, each checked against its recorded SHA-256. */
  async loadArtifact(version: ModelVersionEntity): Promise<ModelArtifact> {
    if (!version.signature || !version.format || version.artifactFiles.length === 0) {
      throw new ConflictError(`version ${version.version} (${version.status}) has no artifacts to load`);
    }
    const files: ArtifactFiles = {};
    for (const file of version.artifactFiles) files[file.path] = await this.store.get(file.key, file.sha256);
    return { format: version.format, files, signature: version.signature, featureNames: version.featureNames };
  }

  private async nextVersionNumber(tx: EntityManager, registeredModelId: string): Promise<number> {
    // The row lock serialises concurrent registrations of one model, so numbers never collide.
    await tx.query('SELECT 1 FROM registered_models WHERE id = $1 FOR UPDATE', [registeredModelId]);
    const [row] = await tx.query('SELECT coalesce(max(version), 0) + 1 AS next FROM model_versions WHERE registered_model_id = $1', [
      registeredModelId,
    ]);
    return Number(row.next);
  }

  private async writeArtifacts(modelName: string, version: number, files: ArtifactFiles): Promise<StoredArtifactFile[]> {
    const stored: StoredArtifactFile[] = [];
    try {
      for (const [path, bytes] of Object.entries(files)) {
        const result = await this.store.put(artifactKey(modelName, version, path), bytes);
        stored.push({ path, key: result.key, sha256: result.sha256, size: result.size });
      }
      return stored;
    } catch (error) {
      await this.deleteArtifacts(stored);
      throw error;
    }
  }

  private async deleteArtifacts(files: StoredArtifactFile[]): Promise<void> {
    await Promise.all(files.map((file) => this.store.delete(file.key).catch(() => undefined)));
  }
}

function checkFeatureNames(names: string[]): void {
  if (names.length === 0) throw new InvalidInputError('expects at least one feature name, but got none', { field: 'featureNames' });
  const seen = new Set<string>();
  for (const name of names) {
    if (!name.trim()) throw new InvalidInputError('expects non-empty feature names', { field: 'featureNames' });
    if (seen.has(name))
      throw new InvalidInputError(`expects unique feature names, but ${quote(name)} appears twice`, { field: 'featureNames' });
    seen.add(name);
  }
}
