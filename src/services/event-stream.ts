/**
 * One per process: hears NOTIFY from every process, reads the new events in id order and hands
 * them to in-process listeners (serving, schedulers) and to subscriptions. A subscription that
 * starts `after` an id first replays from the table, so a reconnecting client misses nothing.
 */
import type { Client } from 'pg';
import type { EventEntity } from '../entities/event.entity';
import { matchesFilter, type EventFilter, type EventsService } from './events.service';

type Listener = (event: EventEntity) => void;

const PAGE = 500;

export class EventStream {
  private client?: Client;
  private head = '0';
  private readonly listeners = new Set<Listener>();
  private fetching?: Promise<void>;
  private fetchAgain = false;
  private closed = false;
  private listening = false;

  constructor(
    private readonly events: EventsService,
    private readonly onError: (error: unknown) => void = (error) => console.error('event stream:', error),
  ) {}

  async start(): Promise<void> {
    this.head = await this.events.latestId();
    this.client = await this.events.openListenConnection();
    this.listening = true;
    this.client.on('notification', () => this.pull());
    this.client.on('error', (error) => {
      this.listening = false;
      this.onError(error);
    });
    this.client.on('end', () => (this.listening = false));
  }

  /** Whether this process hears NOTIFYs now (a replica that cannot listen is not ready). */
  isListening(): boolean {
    return this.listening && !this.closed;
  }

  async stop(): Promise<void> {
    this.closed = true;
    await this.fetching;
    await this.client?.end().catch(() => undefined);
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
      let page: EventEntity[];
      do {
        if (this.closed) return;
        page = await this.events.list({ after: this.head, limit: PAGE }).catch((error) => {
          this.onError(error);
          return [];
        });
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

  /**
   * Events matching `filter`: first those after `after` from the table (when given), then live ones.
   * Ends when the consumer returns (graphql-ws calls `return` on unsubscribe).
   */
  subscribe(filter: EventFilter, after?: string): AsyncIterableIterator<EventEntity> {
    const buffer: EventEntity[] = [];
    let wake: (() => void) | undefined;
    let done = false;
    let cursor = after ?? this.head;
    const unsubscribe = this.onEvent((event) => {
      buffer.push(event);
      wake?.();
    });
    const events = this.events;
    const replay = async function* (): AsyncGenerator<EventEntity> {
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
    const live = async function* (): AsyncGenerator<EventEntity> {
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
