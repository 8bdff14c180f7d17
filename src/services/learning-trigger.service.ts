/**
 * The learning counter: completed trades since the last trigger, kept in one database row so that
 * every process counts into the same number. A closed trade is counted after its close has committed,
 * by a counting pass: one short transaction that takes the counter row's lock, gives every closed and
 * not yet counted trade (of any process) its place in close order (closed_at, id), and triggers at
 * each place where the count reaches the policy's `learning.min_trades_for_update`: that place ends
 * the cycle (the count restarts at 0 in the next one), appends `learning.triggered` and queues one
 * INCREMENTAL job per registered model whose predictions informed the cycle's trades.
 *
 * Why after the commit: counting inside each close held the counter row's lock from the count to the
 * commit, so closes committed one at a time (bench/trade-pairs.ts). A pass counts all the closes that
 * committed while the previous pass ran (MicroBatcher), so closes commit in parallel and the lock is
 * taken once per pass. Passes are serialised by the row lock across processes, and a pass sees every
 * close committed before it took the lock, so each trade is counted exactly once, the count has no gap
 * or repeat, and each crossing triggers exactly once. A close whose process stopped before its pass
 * is counted by the next pass of any process (and at start, `countLeftovers`).
 *
 * INCREMENTAL job payload (the contract with the job's handler):
 *   {
 *     model: string,          // the registered model to update
 *     learningCycle: number,  // its new data: trades with learning_cycle = learningCycle, and their
 *                             // request_outcomes (trade_id = trades.id) for this model's predictions
 *     since: string | null,   // ISO time of the previous trigger (null for the first), for time-based reads
 *     until: string,          // ISO time of this trigger
 *     trades: number,         // completed trades in the cycle (the threshold)
 *     tradesWithModel: number // of which informed by this model's predictions
 *   }
 * (JobsService adds timeLimitSeconds and retryLimit.) Trigger TRADES; singleton key
 * `incremental:trades:<cycle>:<model id>`, so a cycle queues each model once.
 */
import { Like, type DataSource, type EntityManager } from 'typeorm';
import type { Policy } from '../config/policy';
import { JobEntity } from '../entities/job.entity';
import { LearningCounterEntity } from '../entities/learning-counter.entity';
import { ItemFailure, MicroBatcher } from '../lib/micro-batcher';
import type { EventsService } from './events.service';
import type { JobsService } from './jobs.service';
import type { PolicyService } from './policy.service';

export interface LearningTriggerState {
  /** Whether the next completed trade will trigger (the count has reached the threshold already). */
  shouldTrigger: boolean;
  tradesSinceLastUpdate: number;
  threshold: number;
  cycle: number;
  completedTrades: number;
  lastTriggeredAt: Date | null;
}

/** How one completed trade was counted. */
export interface CountedTrade {
  cycle: number;
  /** Completed trades in the cycle, this one included. */
  count: number;
  threshold: number;
  triggered: boolean;
  /** The INCREMENTAL jobs the trigger queued (empty unless `triggered`). */
  jobs: JobEntity[];
}

interface CycleModel {
  id: string;
  name: string;
  trades: number;
}

/** A trade's place in the count, as stored on it. */
interface Place {
  id: string;
  cycle: number;
  count: number;
  triggered: boolean;
  threshold: number;
}

/** What one counting pass did: the places it gave, and the jobs each crossing (by cycle) queued. */
interface Pass {
  places: Map<string, Place>;
  jobsOfCycle: Map<number, JobEntity[]>;
}

const TRIGGER_KEY_PREFIX = 'incremental:trades:';

export class LearningTriggerService {
  /** Closes waiting to be counted; those that arrive while a pass runs are counted by the next. */
  private readonly passes = new MicroBatcher<string, CountedTrade>((tradeIds) => this.countPass(tradeIds), { maxItems: Number.MAX_SAFE_INTEGER, windowMs: 0 });

  constructor(
    private readonly dataSource: DataSource,
    private readonly events: EventsService,
    private readonly jobs: JobsService,
    private readonly policy: PolicyService,
  ) {}

  async state(): Promise<LearningTriggerState> {
    const threshold = (await this.policy.current()).document.learning.min_trades_for_update;
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
   * How the trade `tradeId`, whose close has committed, was counted: by the next pass, or earlier by
   * any process's. The jobs are those its place triggered (empty unless `triggered`).
   */
  countClosedTrade(tradeId: string): Promise<CountedTrade> {
    return this.passes.submit(tradeId);
  }

  /** Counts the closed trades left uncounted by a process that stopped between a close and its pass; returns how many. */
  async countLeftovers(): Promise<number> {
    return (await this.runPass()).places.size;
  }

  private async countPass(tradeIds: string[]): Promise<(CountedTrade | ItemFailure)[]> {
    const pass = await this.runPass();
    const missing = tradeIds.filter((id) => !pass.places.has(id));
    const earlier = new Map<string, Place>();
    if (missing.length) {
      const rows: Place[] = await this.dataSource.query(
        `SELECT id, learning_cycle AS cycle, learning_count AS count, learning_triggered AS triggered, learning_threshold AS threshold
         FROM trades WHERE id = ANY ($1::uuid[]) AND learning_cycle IS NOT NULL`,
        [missing],
      );
      for (const row of rows) earlier.set(row.id, row);
    }
    return Promise.all(
      tradeIds.map(async (id) => {
        const place = pass.places.get(id) ?? earlier.get(id);
        if (!place) return new ItemFailure(new Error(`trade ${id} is not closed, so it cannot be counted`));
        const jobs = !place.triggered ? [] : (pass.jobsOfCycle.get(place.cycle) ?? (await this.triggeredJobs(place.cycle)));
        return { cycle: place.cycle, count: place.count, threshold: place.threshold, triggered: place.triggered, jobs };
      }),
    );
  }

  /** The jobs an earlier pass queued for the crossing that ended `cycle`. */
  private triggeredJobs(cycle: number): Promise<JobEntity[]> {
    return this.dataSource.getRepository(JobEntity).find({ where: { singletonKey: Like(`${TRIGGER_KEY_PREFIX}${cycle}:%`) }, order: { createdAt: 'ASC' } });
  }

  /** One counting pass: every closed, uncounted trade gets its place, and each crossing triggers. */
  private runPass(): Promise<Pass> {
    return this.dataSource.transaction(async (tx) => {
      const { learning, retraining } = (await this.policy.current(tx)).document;
      const threshold = learning.min_trades_for_update;
      const [counter]: { cycle: number; count: number; last_triggered_at: Date | null; now: Date }[] = await tx.query(
        `SELECT cycle, trades_since_trigger AS count, last_triggered_at, now() AS now FROM learning_counter FOR UPDATE`,
      );
      // Read after the lock: this statement's snapshot holds every close committed before the previous pass ended.
      const pending: { id: string }[] = await tx.query(`SELECT id FROM trades WHERE status = 'CLOSED' AND learning_cycle IS NULL ORDER BY closed_at, id`);
      const places = new Map<string, Place>();
      const crossings: Place[] = [];
      let { cycle, count } = counter;
      for (const { id } of pending) {
        count += 1;
        const place = { id, cycle, count, triggered: count >= threshold, threshold };
        places.set(id, place);
        if (place.triggered) {
          crossings.push(place);
          cycle += 1;
          count = 0;
        }
      }
      const jobsOfCycle = new Map<number, JobEntity[]>();
      if (!places.size) return { places, jobsOfCycle };

      const counted = [...places.values()];
      await tx.query(
        `UPDATE trades AS t SET learning_cycle = p.cycle, learning_count = p.count, learning_triggered = p.triggered, learning_threshold = $5
         FROM unnest($1::uuid[], $2::int[], $3::int[], $4::boolean[]) AS p (id, cycle, count, triggered) WHERE t.id = p.id`,
        [counted.map((p) => p.id), counted.map((p) => p.cycle), counted.map((p) => p.count), counted.map((p) => p.triggered), threshold],
      );
      await tx.query(
        `UPDATE learning_counter SET cycle = $1, trades_since_trigger = $2, completed_trades = completed_trades + $3,
           last_triggered_at = CASE WHEN $4 THEN now() ELSE last_triggered_at END, updated_at = now()`,
        [cycle, count, counted.length, crossings.length > 0],
      );
      let since = counter.last_triggered_at;
      for (const crossing of crossings) {
        jobsOfCycle.set(crossing.cycle, await this.trigger(tx, crossing, { since, until: counter.now }, retraining));
        since = counter.now;
      }
      return { places, jobsOfCycle };
    });
  }

  /** Ends the cycle of `crossing`: queues an INCREMENTAL job per model its trades' predictions came from, and appends `learning.triggered`. */
  private async trigger(
    tx: EntityManager,
    crossing: Place,
    { since, until }: { since: Date | null; until: Date },
    retraining: Policy['retraining'],
  ): Promise<JobEntity[]> {
    const models: CycleModel[] = await tx.query(
      `SELECT m.id, m.name, count(DISTINCT t.id)::int AS trades
       FROM trades t JOIN predictions p ON p.id = ANY (t.prediction_ids) JOIN registered_models m ON m.id = p.registered_model_id
       WHERE t.learning_cycle = $1
       GROUP BY m.id, m.name ORDER BY m.name`,
      [crossing.cycle],
    );
    const reason = `${crossing.count} completed trades since the last update (threshold ${crossing.threshold})`;
    const jobs: JobEntity[] = [];
    for (const model of models) {
      jobs.push(
        await this.jobs.enqueue(
          {
            kind: 'INCREMENTAL',
            trigger: 'TRADES',
            reason,
            registeredModelId: model.id,
            modelName: model.name,
            payload: {
              model: model.name,
              learningCycle: crossing.cycle,
              since: since?.toISOString() ?? null,
              until: until.toISOString(),
              trades: crossing.count,
              tradesWithModel: model.trades,
            },
            singletonKey: `${TRIGGER_KEY_PREFIX}${crossing.cycle}:${model.id}`,
            timeLimitSeconds: retraining.incremental_time_limit_seconds,
            retryLimit: retraining.retry_limit,
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
      },
    });
    return jobs;
  }
}
