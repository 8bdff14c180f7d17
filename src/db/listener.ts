/**
 * LISTEN that survives its database: one dedicated Postgres connection per process that LISTENs on
 * every channel its users name and keeps doing so. After any loss (the backend terminated, the server
 * restarted, a half-open socket found by the heartbeat) it reconnects with exponential backoff and
 * LISTENs again.
 *
 * Postgres drops a NOTIFY sent while nobody listens, so a NOTIFY is only ever a hint: each user
 * re-reads what it may have missed from its table of record in `connectionDidOpen` (the event stream
 * replays from the last id it delivered, the outcome notifications catch up on recent outcomes, the key
 * cache starts empty). `sync()` is a round trip on the listening connection: when it answers true,
 * every NOTIFY committed before it was called has been delivered to the channel handlers (Postgres
 * sends pending notifications before it reports the end of a query).
 */
import { Client } from 'pg';

/**
 * Extension points, called in registration order. `connectionDidOpen` runs after every LISTEN (the
 * first connect included) with the server time at which the previous connection was last known to be
 * listening (undefined on the first): anything committed after that may not have been heard.
 * `connectionWasLost` runs once per loss, synchronously, before any reconnect attempt. A throw or
 * rejection is reported to `onError` and changes nothing else.
 */
export interface ListenerHooks {
  connectionDidOpen?(info: { previousConfirmedAt?: Date }): void | Promise<void>;
  connectionWasLost?(): void;
}

export interface ListenerOptions {
  applicationName?: string;
  /** First reconnect delay; doubles per failed attempt up to maxDelayMs (with jitter). */
  minDelayMs?: number;
  maxDelayMs?: number;
  /** How often an idle connection is probed, and how long a probe or sync may take before the connection counts as lost. */
  heartbeatMs?: number;
  roundTripTimeoutMs?: number;
  onError?: (error: unknown) => void;
}

const CHANNEL_NAME = /^[a-z_][a-z0-9_]*$/;

export class PgListener {
  private client?: Client;
  /** Increments with every connection, so that late answers of an old one are told apart. */
  private connection = 0;
  private listening = false;
  private stopped = false;
  private started = false;
  private attempt = 0;
  private reconnectTimer?: NodeJS.Timeout;
  private heartbeatTimer?: NodeJS.Timeout;
  private confirmedAt?: Date;
  private inFlight?: Promise<boolean>;
  private queued?: Promise<boolean>;
  private readonly channels = new Map<string, Set<(payload: string) => void>>();
  private readonly hooks = new Set<ListenerHooks>();
  private readonly options: Required<Omit<ListenerOptions, 'applicationName'>> & { applicationName: string };

  constructor(
    private readonly url: string,
    options: ListenerOptions = {},
  ) {
    this.options = {
      applicationName: options.applicationName ?? 'kybernet-listen',
      minDelayMs: options.minDelayMs ?? 100,
      maxDelayMs: options.maxDelayMs ?? 5_000,
      heartbeatMs: options.heartbeatMs ?? 10_000,
      roundTripTimeoutMs: options.roundTripTimeoutMs ?? 5_000,
      onError: options.onError ?? ((error) => console.error('listener:', error)),
    };
  }

  /** Calls `handler` with the payload of every NOTIFY on `channel` while connected. Returns the unsubscribe. */
  channel(name: string, handler: (payload: string) => void): () => void {
    if (!CHANNEL_NAME.test(name)) throw new Error(`expects a channel name of lower-case letters, digits and _, but got "${name}"`);
    let handlers = this.channels.get(name);
    if (!handlers) {
      handlers = new Set();
      this.channels.set(name, handlers);
      // On a connection being opened or open (pg queues it); a failure means a loss, after which every channel is LISTENed again.
      if (this.client) void this.client.query(`LISTEN ${name}`).catch(() => undefined);
    }
    handlers.add(handler);
    return () => handlers.delete(handler);
  }

  watch(hooks: ListenerHooks): () => void {
    this.hooks.add(hooks);
    return () => this.hooks.delete(hooks);
  }

  /** Connects and LISTENs; rejects when the first connection fails (later losses are retried). */
  async start(): Promise<void> {
    if (this.started) throw new Error('the listener was started already');
    this.started = true;
    await this.open();
    this.heartbeatTimer = setInterval(() => void this.heartbeat(), this.options.heartbeatMs);
    this.heartbeatTimer.unref();
  }

  /** Whether every channel is LISTENed on a live connection now. */
  isListening(): boolean {
    return this.listening && !this.stopped;
  }

  /**
   * A round trip on the listening connection that began after this call: true when it answered, so
   * that every NOTIFY committed before the call has reached the handlers; false when not listening.
   * Concurrent calls share round trips.
   */
  sync(): Promise<boolean> {
    if (!this.isListening()) return Promise.resolve(false);
    if (!this.inFlight) return this.roundTrip();
    // The round trip in flight may have been sent before our caller's precondition held: join the next.
    this.queued ??= this.inFlight.then(() => {
      this.queued = undefined;
      return this.roundTrip();
    });
    return this.queued;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.listening = false;
    clearTimeout(this.reconnectTimer);
    clearInterval(this.heartbeatTimer);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  /** One connection attempt: connect, LISTEN on every channel, then the hooks. Throws when it did not end up listening. */
  private async open(): Promise<void> {
    const connection = ++this.connection;
    const client = new Client({ connectionString: this.url, application_name: this.options.applicationName, keepAlive: true });
    // Either event means this connection is gone; only the current connection's loss counts.
    client.on('error', (error) => this.lost(connection, error));
    client.on('end', () => this.lost(connection));
    client.on('notification', (message) => this.deliver(message.channel, message.payload ?? ''));
    this.client = client;
    let at: Date;
    try {
      await client.connect();
      for (const name of this.channels.keys()) await client.query(`LISTEN ${name}`);
      [{ at }] = (await client.query<{ at: Date }>('SELECT statement_timestamp() AS at')).rows;
      if (connection !== this.connection) throw new Error('the connection was lost while it was being opened');
    } catch (error) {
      if (connection === this.connection) {
        this.connection++;
        this.client = undefined;
      }
      client.end().catch(() => undefined);
      throw error;
    }
    if (this.stopped) {
      await client.end().catch(() => undefined);
      return;
    }
    const previousConfirmedAt = this.confirmedAt;
    this.confirmedAt = at;
    this.listening = true;
    this.attempt = 0;
    for (const hooks of this.hooks) {
      try {
        await hooks.connectionDidOpen?.({ previousConfirmedAt });
      } catch (error) {
        this.options.onError(error);
      }
    }
  }

  private async reconnect(): Promise<void> {
    try {
      await this.open();
    } catch (error) {
      if (this.stopped) return;
      this.options.onError(error);
      this.scheduleReconnect();
    }
  }

  private deliver(channel: string, payload: string): void {
    for (const handler of this.channels.get(channel) ?? []) {
      try {
        handler(payload);
      } catch (error) {
        this.options.onError(error);
      }
    }
  }

  /** The current connection is gone: forget it, tell the users, reconnect (a connection still opening is open()'s to retry). */
  private lost(connection: number, error?: unknown): void {
    if (connection !== this.connection || this.stopped) return;
    this.connection++;
    const client = this.client;
    this.client = undefined;
    client?.end().catch(() => undefined);
    if (!this.listening) return;
    this.listening = false;
    if (error) this.options.onError(error);
    for (const hooks of this.hooks) {
      try {
        hooks.connectionWasLost?.();
      } catch (hookError) {
        this.options.onError(hookError);
      }
    }
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.stopped || this.reconnectTimer) return;
    const ceiling = Math.min(this.options.maxDelayMs, this.options.minDelayMs * 2 ** this.attempt);
    this.attempt++;
    const delay = ceiling / 2 + (Math.random() * ceiling) / 2;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      void this.reconnect();
    }, delay);
  }

  private roundTrip(): Promise<boolean> {
    const client = this.client;
    const connection = this.connection;
    if (!client || !this.listening) return Promise.resolve(false);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), this.options.roundTripTimeoutMs)));
    const answer = client.query<{ at: Date }>('SELECT statement_timestamp() AS at').then(
      (result) => result.rows[0].at,
      () => undefined,
    );
    const trip = Promise.race([answer, timeout]).then((at) => {
      clearTimeout(timer);
      if (at === 'timeout') {
        this.lost(connection, new Error(`the listening connection did not answer within ${this.options.roundTripTimeoutMs} ms`));
        return false;
      }
      if (at === undefined || connection !== this.connection || !this.listening) return false;
      this.confirmedAt = at;
      return true;
    });
    const tracked = trip.finally(() => {
      if (this.inFlight === tracked) this.inFlight = undefined;
    });
    this.inFlight = tracked;
    return trip;
  }

  private async heartbeat(): Promise<void> {
    if (this.isListening() && !this.inFlight) await this.roundTrip();
  }
}
