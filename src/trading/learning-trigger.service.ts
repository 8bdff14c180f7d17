/**
 * The learning counter: completed trades since the last trigger, kept in one database row so that
 * every process counts into the same number. Trades are counted in the transaction that closes them,
 * a group at a time (trades.service.ts commits the closes that arrive together in one transaction):
 * `placeTrades` takes the counter row's lock and gives each trade of the group its place in the
 * count, in close order; the trade whose place reaches the policy's `learning.min_trades_for_update`
 * triggers: it ends the cycle (the count restarts at 0 in the next one), and `recordPlacement`, once
 * the trades are written, appends `learning.triggered` and queues one INCREMENTAL job per registered
 * model whose predictions informed the cycle's trades.
 *
 * The lock is held until the commit, so counting transactions of all processes commit one at a
 * time: a trade's close and its place commit together (none is closed uncounted, none counted twice),
 * places follow the commit order, and when a trade triggers every other trade of its cycle has
 * committed, so the cycle's trades are exactly `trades.learning_cycle = n`. Counting each close in a
 * transaction of its own made closes commit one at a time (bench/trade-pairs.ts: 84 pairs/s at
 * c = 32); counting a group pays for the lock once per group.
 *
 * Each INCREMENTAL job's payload is `{ model }` (the retraining payload of platform/jobs/job-payloads.ts):
 * the handler updates the model on the rows after its ACTIVE version's data, from that version's
 * dataset rebuilt with the data stored now, whatever cycle queued it. The cycle (its number, trades,
 * time span and jobs) is recorded by `learning.triggered`. Trigger TRADES; singleton key
 * `incremental:trades:<cycle>:<model id>`, so a cycle queues each model once.
 *
 * While automatic learning is held (learning/learning-switch.service.ts: policy learning.enabled or
 * learning.triggers.trades.enabled off, pauseLearning) the count goes on and cycles end as before, but
 * no job is queued; a model paused on its own gets none either. `learning.triggered` lists them under
 * `skipped`, with why.
 */
import type { DataSource, EntityManager } from 'typeorm';
import type { JobEntity } from '../entities/job.entity';
import { LearningCounterEntity } from '../entities/learning-counter.entity';
import type { EventsService } from '../platform/events/events.service';
import type { JobsService } from '../platform/jobs/jobs.service';
import type { PolicyService } from '../platform/policy/policy.service';
import type { LearningSwitchService } from '../learning/learning-switch.service';

export interface LearningTriggerState {
  /** Whether the next completed trade will trigger (the count has reached the threshold already). */
  shouldTrigger: boolean;
  tradesSinceLastUpdate: number;
  threshold: number;
  cycle: number;
  completedTrades: number;
  lastTriggeredAt: Date | null;
}

/** A trade's place in the learning count, as stored on it (trades.learning_*). */
export interface Place {
  cycle: number;
  /** Completed trades in the cycle, this one included. */
  count: number;
  triggered: boolean;
  threshold: number;
}

/** The places a group of closes got, under the counter's lock, and what the count becomes. */
export interface Placement {
  places: Place[];
  /** The time of the count, read under the lock: the trades' close time, and a trigger's `until`. */
  at: Date;
  /** The counter after the group. */
  next: { cycle: number; count: number };
  /** The previous trigger's time: the first crossing's `since`. */
  previousTriggerAt: Date | null;
}

const TRIGGER_KEY_PREFIX = 'incremental:trades:';

interface CycleModel {
  id: string;
  name: string;
}

export class LearningTriggerService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly events: EventsService,
    private readonly jobs: JobsService,
    private readonly policy: PolicyService,
    private readonly learningSwitch: Pick<LearningSwitchService, 'heldFor' | 'pausedAmong'>,
  ) {}

  async state(): Promise<LearningTriggerState> {
    const threshold = (await this.policy.document()).learning.min_trades_for_update;
    const counter = await this.dataSource.getRepository(LearningCounterEntity).findOneByOrFail({ id: true });
    return {
      shouldTrigger: counter.tradesSinceTrigger >= threshold,
      tradesSinceLastUpdate: counter.tradesSinceTrigger,
      threshold,
      cycle: counter.cycle,
      completedTrades: Number(counter.completedTrades),
      lastTriggeredAt: counter.lastTriggeredAt,
    };
  }

  /**
   * In the transaction closing `trades` trades: locks the counter and gives each its place, in order. Write the places on the trades, then
   * `recordPlacement`.
   */
  async placeTrades(tx: EntityManager, trades: number): Promise<Placement> {
    const threshold = (await this.policy.document(tx)).learning.min_trades_for_update;
    const [locked]: { cycle: number; count: number; last_triggered_at: Date | null; at: Date }[] = await tx.query(
      `SELECT cycle, trades_since_trigger AS count, last_triggered_at, clock_timestamp() AS at FROM learning_counter FOR UPDATE`,
    );
    let { cycle, count } = locked;
    const places: Place[] = [];
    for (let i = 0; i < trades; i++) {
      count += 1;
      const place = { cycle, count, triggered: count >= threshold, threshold };
      places.push(place);
      if (place.triggered) {
        cycle += 1;
        count = 0;
      }
    }
    return { places, at: locked.at, next: { cycle, count }, previousTriggerAt: locked.last_triggered_at };
  }

  /**
   * After the placed trades are written (same transaction): stores the count and triggers at each crossing; returns the jobs each crossing
   * queued, by its cycle.
   */
  async recordPlacement(tx: EntityManager, placement: Placement): Promise<Map<number, JobEntity[]>> {
    const { places, at, next } = placement;
    const crossings = places.filter((place) => place.triggered);
    await tx.query(
      `UPDATE learning_counter SET cycle = $1, trades_since_trigger = $2, completed_trades = completed_trades + $3,
         last_triggered_at = CASE WHEN $4 THEN $5::timestamptz ELSE last_triggered_at END, updated_at = now()`,
      [next.cycle, next.count, places.length, crossings.length > 0, at],
    );
    const jobsOfCycle = new Map<number, JobEntity[]>();
    let since = placement.previousTriggerAt;
    for (const crossing of crossings) {
      jobsOfCycle.set(crossing.cycle, await this.trigger(tx, crossing, { since, until: at }));
      since = at;
    }
    return jobsOfCycle;
  }

  /**
   * Ends the cycle of `crossing`: queues an INCREMENTAL job per model its trades' predictions came from, and appends `learning.triggered`.
   */
  private async trigger(tx: EntityManager, crossing: Place, { since, until }: { since: Date | null; until: Date }): Promise<JobEntity[]> {
    const models: CycleModel[] = await tx.query(
      `SELECT DISTINCT m.id, m.name
       FROM trades t JOIN predictions p ON p.id = ANY (t.prediction_ids) JOIN registered_models m ON m.id = p.registered_model_id
       WHERE t.learning_cycle = $1
       ORDER BY m.name`,
      [crossing.cycle],
    );
    const reason = `${crossing.count} completed trades since the last update (threshold ${crossing.threshold})`;
    const held = await this.learningSwitch.heldFor('TRADES', tx);
    const paused = held
      ? new Map<string, string>()
      : await this.learningSwitch.pausedAmong(
          models.map((model) => model.id),
          tx,
        );
    const skipped: { model: string; reason: string }[] = [];
    const jobs: JobEntity[] = [];
    for (const model of models) {
      const why = held ?? paused.get(model.id);
      if (why) {
        skipped.push({ model: model.name, reason: why });
        continue;
      }
      jobs.push(
        await this.jobs.enqueue(
          {
            kind: 'INCREMENTAL',
            trigger: 'TRADES',
            reason,
            registeredModelId: model.id,
            modelName: model.name,
            payload: { model: model.name },
            singletonKey: `${TRIGGER_KEY_PREFIX}${crossing.cycle}:${model.id}`,
          },
          tx,
        ),
      );
    }
    await this.events.append(tx, {
      type: 'learning.triggered',
      modelName: models.length === 1 ? models[0].name : null,
      payload: {
        learningCycle: crossing.cycle,
        trades: crossing.count,
        threshold: crossing.threshold,
        since: since?.toISOString() ?? null,
        until: until.toISOString(),
        models: models.map((model) => model.name),
        jobIds: jobs.map((job) => job.id),
        ...(skipped.length ? { skipped } : {}),
      },
    });
    return jobs;
  }
}
