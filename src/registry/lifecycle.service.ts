/**
 * Promotion, rollback and retirement: each one transaction that moves statuses, bumps the
 * registered model's revision and appends its events. At most one ACTIVE version per model is
 * enforced by the database (a partial unique index); racing changes to one model are told apart by
 * the revision each read when it began, so of two concurrent promotions exactly one wins and the
 * other gets CONFLICT.
 */
import type { DataSource, EntityManager } from 'typeorm';
import { ModelVersionEntity, type ModelVersionStatus } from '../entities/model-version.entity';
import { RegisteredModelEntity } from '../entities/registered-model.entity';
import { ConflictError, GateFailedError, InvalidInputError } from '../lib/errors';
import { PG_LOCK_NOT_AVAILABLE, PG_UNIQUE_VIOLATION, pgErrorCode } from '../db/postgres-errors';
import type { EventsService } from '../platform/events/events.service';
import type { ImportJudge, ImportRequest, RegistryService } from './registry.service';
import type { EventType, ShadowFigures } from '../platform/events/event-types';

/** The events an activation appends for the version it activates. */
type ActivationEvent = Extract<EventType, 'model.promoted' | 'model.rolled_back'>;

/**
 * Extension points of a status change. `versionWillActivate` runs before the transaction, with
 * the version about to become ACTIVE: serving loads and checks its artifacts there, and a throw aborts
 * the change with nothing written. `versionsDidChange` runs after the commit, in this process, so
 * that serving swaps before the mutation answers (other processes swap on the event).
 */
export interface LifecycleHooks {
  versionWillActivate?(version: ModelVersionEntity): Promise<void>;
  versionsDidChange?(modelName: string): Promise<void>;
  /** The gate before SHADOW on an import with `validation` rows (monitoring/gate.service.ts `judgeImport`). */
  importWillRegister?: ImportJudge;
}

const PROMOTABLE: ModelVersionStatus[] = ['SHADOW', 'SNAPSHOT', 'RETIRED'];
const LOCK_TIMEOUT = '10s';

export class LifecycleService {
  private hooks: LifecycleHooks = {};

  constructor(
    private readonly dataSource: DataSource,
    private readonly registry: RegistryService,
    private readonly events: EventsService,
  ) {}

  setHooks(hooks: LifecycleHooks): void {
    this.hooks = hooks;
  }

  /**
   * Makes `version` ACTIVE, retiring the current ACTIVE one. A version the gate before SHADOW REJECTED
   * goes live only with `force: true` and a reason (the mutation is audited; the event's reason says it
   * was forced past the gate).
   */
  async promoteModel(input: {
    model: string;
    version: number;
    reason?: string | null;
    force?: boolean | null;
  }): Promise<ModelVersionEntity> {
    const model = await this.registry.getRegisteredModel(input.model);
    const target = await this.registry.findVersion(model, input.version);
    if (input.force && !input.reason?.trim()) {
      throw new InvalidInputError('expects a reason with force: true (it is kept in the audit log and the model.promoted event)', {
        field: 'reason',
      });
    }
    if (target.status === 'ACTIVE') throw new ConflictError(`version ${target.version} of "${model.name}" is already ACTIVE`);
    const gateFailed = target.status === 'REJECTED' && target.gate !== null && !target.gate.passed;
    if (gateFailed && !input.force) {
      throw new GateFailedError(
        `version ${target.version} of "${model.name}" failed the gate before SHADOW against version ${target.gate!.againstVersion}: ` +
          `${target.gate!.reasons.join('; ')}. Promote it anyway with force: true and a reason`,
        { field: 'force', gate: target.gate },
      );
    }
    if (!gateFailed && !PROMOTABLE.includes(target.status)) {
      throw new ConflictError(
        `expects a SHADOW, SNAPSHOT or RETIRED version to promote, but version ${target.version} of "${model.name}" is ${target.status}`,
      );
    }
    const reason = gateFailed ? `forced past the gate before SHADOW: ${input.reason!.trim()}` : (input.reason ?? undefined);
    return this.activate(model, target, 'model.promoted', reason);
  }

  /** Registers a model trained elsewhere (see RegistryService.importVersion), activating it in the same transaction when asked. */
  async importModel(input: ImportRequest & { activate?: boolean | null }): Promise<ModelVersionEntity> {
    const activate = async (tx: EntityManager, version: ModelVersionEntity, model: RegisteredModelEntity) => {
      await this.activateIn(tx, model, version, 'model.promoted', 'imported with activate');
      await tx.increment(RegisteredModelEntity, { id: model.id }, 'revision', 1);
    };
    const version = await this.registry.importVersion(input, input.activate ? activate : undefined, this.hooks.importWillRegister);
    if (input.activate && version.status === 'ACTIVE') await this.hooks.versionsDidChange?.(input.model);
    return version;
  }

  /**
   * Goes back to `version` when given (a RETIRED one), else to the version that was ACTIVE before the
   * current one — the RETIRED version activated most recently whose last ACTIVE period was not ended
   * by a rollback. So a second rollback in a row goes further back (v3 → v2 → v1) instead of
   * re-activating the version the first one rolled back from; with nothing left, it refuses.
   */
  async rollbackModel(input: {
    model: string;
    version?: number | null;
    reason?: string;
    /** The loop's own rollback (monitoring/automatic-rollback.ts), recorded in the event. */
    automatic?: boolean;
  }): Promise<ModelVersionEntity> {
    const model = await this.registry.getRegisteredModel(input.model);
    let target: ModelVersionEntity;
    if (input.version != null) {
      target = await this.registry.findVersion(model, input.version);
      if (target.status === 'ACTIVE') throw new ConflictError(`version ${target.version} of "${model.name}" is already ACTIVE`);
      if (target.status !== 'RETIRED') {
        throw new ConflictError(
          `expects a RETIRED version to roll back to, but version ${target.version} of "${model.name}" is ${target.status}`,
        );
      }
    } else {
      target = await this.previouslyActive(model);
    }
    return this.activate(model, target, 'model.rolled_back', input.reason, input.automatic);
  }
  /**
   * Takes the ACTIVE version (or the named one, ACTIVE or SHADOW) out of service. A retired SHADOW stops
   * scoring requests and is never judged; it stays promotable by hand.
   */
  async retireModel(input: { model: string; version?: number | null; reason?: string }): Promise<ModelVersionEntity> {
    const model = await this.registry.getRegisteredModel(input.model);
    const target =
      input.version != null ? await this.registry.findVersion(model, input.version) : await this.registry.activeVersion(model.id);
    if (!target) throw new ConflictError(`model "${model.name}" has no ACTIVE version to retire`);
    if (target.status !== 'ACTIVE' && target.status !== 'SHADOW') {
      throw new ConflictError(
        `expects the ACTIVE version or a SHADOW one to retire, but version ${target.version} of "${model.name}" is ${target.status}`,
      );
    }
    const retired = await this.change(model, async (tx) => {
      await this.setStatus(tx, target, target.status, 'RETIRED');
      await this.events.append(tx, {
        type: 'model.retired',
        modelName: model.name,
        modelVersionId: target.id,
        payload: { model: model.name, version: target.version, reason: input.reason ?? 'retired by request' },
      });
      return tx.findOneByOrFail(ModelVersionEntity, { id: target.id });
    });
    await this.hooks.versionsDidChange?.(model.name);
    return retired;
  }

  /** An operator's verdict on a SHADOW version: REJECTED for `reason` (required), as the shadow tester rejects. */
  async rejectShadowVersion(input: { model: string; version: number; reason: string }): Promise<ModelVersionEntity> {
    const reason = input.reason.trim();
    if (!reason)
      throw new InvalidInputError('expects a reason for rejecting a shadow (it is kept in the shadow.rejected event)', { field: 'reason' });
    const model = await this.registry.getRegisteredModel(input.model);
    const target = await this.registry.findVersion(model, input.version);
    if (target.status !== 'SHADOW') {
      throw new ConflictError(`expects a SHADOW version to reject, but version ${target.version} of "${model.name}" is ${target.status}`);
    }
    const rejected = await this.change(model, async (tx) => {
      await this.rejectShadow(tx, model, target, `rejected by hand: ${reason}`);
      return tx.findOneByOrFail(ModelVersionEntity, { id: target.id });
    });
    await this.hooks.versionsDidChange?.(model.name);
    return rejected;
  }

  /**
   * The shadow tester's automatic promotion: promoteModel's transaction, judged against the state the
   * verdict was computed on — `model` as read before the evaluation — so a promotion, rollback or
   * retirement that committed meanwhile makes this one fail with CONFLICT instead of acting on a stale
   * comparison. `within` runs inside the transaction, after the status moves (the verdict's events).
   */
  async promoteShadow(
    model: RegisteredModelEntity,
    shadow: ModelVersionEntity,
    reason: string,
    within: (tx: EntityManager, promoted: ModelVersionEntity) => Promise<void>,
  ): Promise<ModelVersionEntity> {
    if (shadow.status !== 'SHADOW')
      throw new ConflictError(`expects a SHADOW version to promote, but version ${shadow.version} of "${model.name}" is ${shadow.status}`);
    await this.hooks.versionWillActivate?.(shadow);
    const promoted = await this.change(model, async (tx) => {
      const activated = await this.activateIn(tx, model, shadow, 'model.promoted', reason, true);
      await within(tx, activated);
      return activated;
    });
    await this.hooks.versionsDidChange?.(model.name);
    return promoted;
  }

  /** Marks a SHADOW version REJECTED (the shadow tester's verdict); `details` (its figures) join the event's payload. */
  async rejectShadow(
    tx: EntityManager,
    model: RegisteredModelEntity,
    version: ModelVersionEntity,
    reason: string,
    details: Partial<ShadowFigures> = {},
  ): Promise<void> {
    await this.setStatus(tx, version, 'SHADOW', 'REJECTED');
    await this.events.append(tx, {
      type: 'shadow.rejected',
      modelName: model.name,
      modelVersionId: version.id,
      payload: { ...details, model: model.name, version: version.version, reason },
    });
  }

  /**
   * rollbackModel's default target: the RETIRED version activated most recently, leaving out every
   * version whose latest activation (model.promoted or model.rolled_back naming it) was followed by a
   * model.rolled_back away from it (its payload's previousVersionId) — those were rolled back from.
   */
  /** The version rollbackModel goes back to by default (previouslyActive), or null when there is none. */
  async rollbackTarget(model: RegisteredModelEntity): Promise<ModelVersionEntity | null> {
    const { candidate } = await this.rollbackCandidates(model);
    return candidate ? this.dataSource.getRepository(ModelVersionEntity).findOneByOrFail({ id: candidate.id }) : null;
  }

  private async rollbackCandidates(model: RegisteredModelEntity) {
    const rows: { id: string; rolled_back_from: boolean }[] = await this.dataSource.query(
      `SELECT v.id, EXISTS (
           SELECT 1 FROM events r
           WHERE r.type = 'model.rolled_back' AND r.model_name = $2 AND r.payload ->> 'previousVersionId' = v.id::text
             AND r.id > coalesce((SELECT max(a.id) FROM events a
                                  WHERE a.type IN ('model.promoted', 'model.rolled_back') AND a.model_version_id = v.id), 0)
         ) AS rolled_back_from
       FROM model_versions v
       WHERE v.registered_model_id = $1 AND v.status = 'RETIRED' AND v.activated_at IS NOT NULL
       ORDER BY v.activated_at DESC`,
      [model.id, model.name],
    );
    return { rows, candidate: rows.find((row) => !row.rolled_back_from) };
  }

  private async previouslyActive(model: RegisteredModelEntity): Promise<ModelVersionEntity> {
    const { rows, candidate } = await this.rollbackCandidates(model);
    if (candidate) return this.dataSource.getRepository(ModelVersionEntity).findOneByOrFail({ id: candidate.id });
    if (rows.length === 0) throw new ConflictError(`model "${model.name}" has no previously ACTIVE version to roll back to`);
    const versions = await this.dataSource.getRepository(ModelVersionEntity).findBy(rows.map((row) => ({ id: row.id })));
    throw new ConflictError(
      `model "${model.name}" has no earlier ACTIVE version to roll back to: version${versions.length > 1 ? 's' : ''} ${versions
        .map((v) => v.version)
        .sort((a, b) => a - b)
        .join(', ')} ` +
        `${versions.length > 1 ? 'were' : 'was'} rolled back from already; name one to go back to it anyway (rollbackModel(input: { model, version }))`,
    );
  }

  private async activate(
    model: RegisteredModelEntity,
    target: ModelVersionEntity,
    eventType: ActivationEvent,
    reason?: string,
    automatic?: boolean,
  ): Promise<ModelVersionEntity> {
    await this.hooks.versionWillActivate?.(target);
    const activated = await this.change(model, (tx) => this.activateIn(tx, model, target, eventType, reason, automatic));
    await this.hooks.versionsDidChange?.(model.name);
    return activated;
  }

  /** The status moves of an activation, inside the caller's transaction (used by automatic promotion too). */
  async activateIn(
    tx: EntityManager,
    model: RegisteredModelEntity,
    target: ModelVersionEntity,
    eventType: ActivationEvent,
    reason?: string,
    automatic = false,
  ): Promise<ModelVersionEntity> {
    const previous = await tx.findOneBy(ModelVersionEntity, { registeredModelId: model.id, status: 'ACTIVE' });
    if (previous) {
      await this.setStatus(tx, previous, 'ACTIVE', 'RETIRED');
      await this.events.append(tx, {
        type: 'model.retired',
        modelName: model.name,
        modelVersionId: previous.id,
        payload: { model: model.name, version: previous.version, replacedBy: target.version },
      });
    }
    await this.setStatus(tx, target, target.status, 'ACTIVE');
    await tx.update(ModelVersionEntity, { id: target.id }, { activatedAt: () => 'now()' });
    await this.events.append(tx, {
      type: eventType,
      modelName: model.name,
      modelVersionId: target.id,
      payload: {
        model: model.name,
        version: target.version,
        previousVersion: previous?.version ?? null,
        previousVersionId: previous?.id ?? null,
        reason: reason ?? null,
        automatic,
      },
    });
    return tx.findOneByOrFail(ModelVersionEntity, { id: target.id });
  }

  /**
   * Runs `work` in a transaction that holds the model's row lock and checks that no other change to
   * the model committed since `model` was read. The lock waits (briefly) rather than failing at once,
   * because short background work — registering a version, an RL snapshot — also holds it; a racing
   * status change is caught by the revision instead.
   */
  private async change<T>(model: RegisteredModelEntity, work: (tx: EntityManager) => Promise<T>): Promise<T> {
    try {
      return await this.dataSource.transaction(async (tx) => {
        await tx.query(`SET LOCAL lock_timeout = '${LOCK_TIMEOUT}'`);
        const [row] = await tx.query('SELECT revision FROM registered_models WHERE id = $1 FOR UPDATE', [model.id]);
        if (Number(row.revision) !== model.revision) {
          throw new ConflictError(
            `model "${model.name}" changed while this request was running (another promotion, rollback or retirement won); read its state and retry`,
          );
        }
        const result = await work(tx);
        await tx.increment(RegisteredModelEntity, { id: model.id }, 'revision', 1);
        return result;
      });
    } catch (error) {
      const code = pgErrorCode(error);
      if (code === PG_LOCK_NOT_AVAILABLE || code === PG_UNIQUE_VIOLATION) {
        throw new ConflictError(`model "${model.name}" is busy with another promotion, rollback or retirement; read its state and retry`);
      }
      throw error;
    }
  }

  private async setStatus(tx: EntityManager, version: ModelVersionEntity, from: ModelVersionStatus, to: ModelVersionStatus): Promise<void> {
    const result = await tx
      .createQueryBuilder()
      .update(ModelVersionEntity)
      .set({ status: to, statusChangedAt: () => 'now()' })
      .where('id = :id AND status = :from', { id: version.id, from })
      .execute();
    if (result.affected !== 1) throw new ConflictError(`version ${version.version} is no longer ${from}`);
  }
}
