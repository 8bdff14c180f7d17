/**
 * Hears, in every process, that outcomes were recorded for a model: the database NOTIFYs
 * `kybernet_outcomes` with the registered model id after any insert into request_outcomes (a
 * statement trigger, migration 1795301000000), whichever code path wrote them. Listeners are called
 * with the model id after the writing transaction committed.
 *
 * A NOTIFY sent while this process could not listen is lost, so when the shared listener reconnects
 * every model with outcomes recorded since the previous connection was last known to listen (less
 * CATCH_UP_MARGIN, for transactions that began before and committed after) is announced once: the
 * shadow tester and health re-evaluate a model from its stored outcomes, so a notice too many costs
 * one evaluation and none is missed.
 */
import type { DataSource } from 'typeorm';
import type { PgListener } from '../db/listener';

const OUTCOMES_CHANNEL = 'kybernet_outcomes';

/** How long before the last confirmed moment of listening an outcome's transaction may have begun. */
const CATCH_UP_MARGIN_MS = 60_000;
const RETRY_MS = 500;

type Listener = (registeredModelId: string) => void;

export class OutcomeNotifications {
  private readonly listeners = new Set<Listener>();
  private readonly detach: (() => void)[] = [];
  /** The earliest moment whose outcomes may not have been announced yet, while a catch-up is owed. */
  private catchUpSince?: Date;
  private catchingUp = false;
  private catchUpAgain = false;
  private stopped = false;

  constructor(
    private readonly dataSource: DataSource,
    private readonly listener: PgListener,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Attaches to the listener's channel and reconnects; call before the listener starts. */
  start(): void {
    this.detach.push(
      this.listener.channel(OUTCOMES_CHANNEL, (payload) => {
        if (payload) this.announce(payload);
      }),
      this.listener.watch({
        connectionDidOpen: ({ previousConfirmedAt }) => {
          if (previousConfirmedAt) this.requestCatchUp(new Date(previousConfirmedAt.getTime() - CATCH_UP_MARGIN_MS));
        },
      }),
    );
  }

  /** Calls `listener` with the model id whenever outcomes of that model were recorded. Returns the unsubscribe. */
  onOutcomes(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  stop(): void {
    this.stopped = true;
    for (const detach of this.detach) detach();
  }

  private announce(registeredModelId: string): void {
    for (const listener of this.listeners) {
      try {
        listener(registeredModelId);
      } catch (error) {
        this.onError(error);
      }
    }
  }

  private requestCatchUp(since: Date): void {
    if (!this.catchUpSince || since < this.catchUpSince) this.catchUpSince = since;
    if (this.catchingUp) this.catchUpAgain = true;
    else void this.catchUp();
  }

  /**
   * Signals every model with outcomes recorded after `catchUpSince`, again when another reconnect
   * asked meanwhile. A failed read is retried while the listener is connected; otherwise the owed
   * range waits for the next reconnect, which widens nothing but asks again.
   */
  private async catchUp(): Promise<void> {
    this.catchingUp = true;
    try {
      do {
        this.catchUpAgain = false;
        const since = this.catchUpSince!;
        try {
          const models: { id: string }[] = await this.dataSource.query(
            `SELECT m.id FROM registered_models m
              WHERE EXISTS (SELECT 1 FROM request_outcomes o WHERE o.registered_model_id = m.id AND o.recorded_at > $1)`,
            [since],
          );
          if (!this.catchUpAgain) this.catchUpSince = undefined;
          for (const { id } of models) this.announce(id);
        } catch (error) {
          if (this.stopped) return;
          this.onError(error);
          await new Promise((resolve) => setTimeout(resolve, RETRY_MS).unref());
          this.catchUpAgain = this.listener.isListening();
        }
      } while (this.catchUpAgain && !this.stopped);
    } finally {
      this.catchingUp = false;
    }
  }
}
