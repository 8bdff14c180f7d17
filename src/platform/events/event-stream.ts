/**
 * One per process: hears NOTIFY from every process, reads the new events in id order and hands
 * them to in-process listeners (serving, schedulers) and to subscriptions. A subscription that
 * starts `after` an id first replays from the table, so a reconnecting client misses nothing.
 *
 * The NOTIFY is only a hint to read the table: whenever the shared listener (re)connects, the
 * stream reads on from the last id it delivered, so events committed while this process could not
 * listen (its connection terminated, the server restarted) still reach every listener and
 * subscriber once, in order. A read that fails (the pool is still reconnecting) is retried.
 */
import type { PgListener } from '../../db/listener';
import type { KybernetEvent } from './event-types';
import { EVENTS_CHANNEL, matchesFilter, type EventFilter, type EventsService } from './events.service';

type Listener = (event: KybernetEvent) => void;

const PAGE = 500;
const RETRY_MS = 500;

export class EventStream {
  private head = '0';
  private readonly listeners = new Set<Listener>();
  private fetching?: Promise<void>;
  private fetchAgain = false;
  private closed = false;
  private retryTimer?: NodeJS.Timeout;
  private readonly detach: (() => void)[] = [];

  constructor(
    private readonly events: EventsService,
    private readonly listener: PgListener,
    private readonly onError: (error: unknown) => void = (error) => console.error('event stream:', error),
  ) {}

  /** Reads the current head; call before the listener starts (its first connection then pulls from here). */
  async start(): Promise<void> {
    this.head = await this.events.latestId();
    this.detach.push(
      this.listener.channel(EVENTS_CHANNEL, () => void this.pull()),
      this.listener.watch({ connectionDidOpen: () => void this.pull() }),
    );
  }

  async stop(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    for (const detach of this.detach) detach();
    await this.fetching;
  }

  /** Whether this process hears NOTIFYs now (a replica that cannot listen is not ready). */
  isListening(): boolean {
    return !this.closed && this.listener.isListening();
  }

  /** Calls `listener` for every event committed from now on, in id order. Returns the unsubscribe. */
  onEvent(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Reads events up to the newest committed one now; resolves once they have been dispatched. */
  pull(): Promise<void> {
    if (this.fetching) {
      this.fetchAgain = true;
      return this.fetching;
    }
    this.fetching = this.drain().finally(() => {
      this.fetching = undefined;
    });
    return this.fetching;
  }

  private async drain(): Promise<void> {
    do {
      this.fetchAgain = false;
      let page: KybernetEvent[];
      do {
        if (this.closed) return;
        try {
          page = await this.events.list({ after: this.head, limit: PAGE });
        } catch (error) {
          this.onError(error);
          this.retryLater();
          return;
        }
        for (const event of page) {
          this.head = event.id;
          for (const listener of this.listeners) {
            try {
              listener(event);
            } catch (error) {
              this.onError(error);
            }
          }
        }
      } while (page.length === PAGE);
    } while (this.fetchAgain);
  }

  /** Reads again soon while listening; without the listener, its reconnect pulls anyway. */
  private retryLater(): void {
    if (this.closed || this.retryTimer || !this.listener.isListening()) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.pull();
    }, RETRY_MS);
  }

  /**
   * Events matching `filter`: first those after `after` from the table (when given), then live ones.
   * Ends when the consumer returns (graphql-ws calls `return` on unsubscribe).
   */
  subscribe(filter: EventFilter, after?: string): AsyncIterableIterator<KybernetEvent> {
    const buffer: KybernetEvent[] = [];
    let wake: (() => void) | undefined;
    let done = false;
    let cursor = after ?? this.head;
    const unsubscribe = this.onEvent((event) => {
      buffer.push(event);
      wake?.();
    });
    const events = this.events;
    const replay = async function* (): AsyncGenerator<KybernetEvent> {
      if (after === undefined) return;
      for (;;) {
        const page = await events.list({ ...filter, after: cursor, limit: PAGE });
        for (const event of page) {
          cursor = event.id;
          yield event;
        }
        if (page.length < PAGE) return;
      }
    };
    const live = async function* (): AsyncGenerator<KybernetEvent> {
      while (!done) {
        const event = buffer.shift();
        if (!event) {
          await new Promise<void>((resolve) => (wake = resolve));
          wake = undefined;
          continue;
        }
        if (BigInt(event.id) <= BigInt(cursor)) continue;
        cursor = event.id;
        if (matchesFilter(event, filter)) yield event;
      }
    };
    const iterator = (async function* () {
      try {
        yield* replay();
        yield* live();
      } finally {
        done = true;
        unsubscribe();
      }
    })();
    const originalReturn = iterator.return.bind(iterator);
    iterator.return = (value?: unknown) => {
      done = true;
      wake?.();
      return originalReturn(value as never);
    };
    return iterator;
  }
}
