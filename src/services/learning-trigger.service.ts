/**
 * The learning counter: completed trades since the last trigger, kept in one database row so that
 * every process counts into the same number. Each trade's close bumps it inside the closing
 * transaction, under the row's lock, so concurrent closes are counted exactly once each and in a
 * single order; the close that brings the count to the policy's `learning.min_trades_for_update`
 * triggers: it ends the cycle (the count restarts at 0 in the next one), appends `learning.triggered`
 * and queues one INCREMENTAL job per registered model whose predictions informed the cycle's trades.
 *
 * Because the lock is held until commit, when a close triggers every other trade of its cycle has
 * committed: the cycle's trades are exactly `trades.learning_cycle = n`.
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
import type { DataSource, EntityManager } from 'typeorm';
import type { JobEntity } from '../entities/job.entity';
import { LearningCounterEntity } from '../entities/learning-counter.entity';
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

export class LearningTriggerService {
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
   * Counts the trade `tradeId` (closed in `tx`, not yet counted) and records on it how it was
   * counted; triggers when the count reaches the threshold. Call it as late as possible in the
   * closing transaction: from here to the commit, other closes wait for the counter row.
   */
  async countCompletedTrade(tx: EntityManager, tradeId: string): Promise<CountedTrade> {
    const { learning, retraining } = (await this.policy.current(tx)).document;
    const threshold = learning.min_trades_for_update;
    // TypeORM answers an UPDATE … RETURNING with [rows, affected].
    const [[counted]]: [{ cycle: number; count: number; triggered: boolean }[], number] = await tx.query(
      `WITH counted AS (
         UPDATE learning_counter
         SET trades_since_trigger = trades_since_trigger + 1, completed_trades = completed_trades + 1, updated_at = now()
         RETURNING cycle, trades_since_trigger
       )
       UPDATE trades AS t
       SET learning_cycle = counted.cycle, learning_count = counted.trades_since_trigger,
           learning_triggered = counted.trades_since_trigger >= $2, learning_threshold = $2
       FROM counted WHERE t.id = $1
       RETURNING t.learning_cycle AS cycle, t.learning_count AS count, t.learning_triggered AS triggered`,
      [tradeId, threshold],
    );
    if (!counted.triggered) return { ...counted, threshold, jobs: [] };

    const [[{ since, until }]]: [{ since: Date | null; until: Date }[], number] = await tx.query(
      `WITH previous AS (SELECT last_triggered_at FROM learning_counter)
       UPDATE learning_counter SET cycle = cycle + 1, trades_since_trigger = 0, last_triggered_at = now(), updated_at = now()
       RETURNING (SELECT last_triggered_at FROM previous) AS since, last_triggered_at AS until`,
    );
    const models: CycleModel[] = await tx.query(
      `SELECT m.id, m.name, count(DISTINCT t.id)::int AS trades
       FROM trades t JOIN predictions p ON p.id = ANY (t.prediction_ids) JOIN registered_models m ON m.id = p.registered_model_id
       WHERE t.learning_cycle = $1
       GROUP BY m.id, m.name ORDER BY m.name`,
      [counted.cycle],
    );
    const reason = `${counted.count} completed trades since the last update (threshold ${threshold})`;
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
              learningCycle: counted.cycle,
              since: since?.toISOString() ?? null,
              until: until.toISOString(),
              trades: counted.count,
              tradesWithModel: model.trades,
            },
            singletonKey: `incremental:trades:${counted.cycle}:${model.id}`,
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
        learningCycle: counted.cycle,
        trades: counted.count,
        threshold,
        since: since?.toISOString() ?? null,
        until: until.toISOString(),
        models: models.map((model) => model.name),
        jobIds: jobs.map((job) => job.id),
      },
    });
    return { ...counted, threshold, jobs };
  }
}
