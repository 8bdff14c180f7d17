/**
 * Hears, in every process, that outcomes were recorded for a model: the database NOTIFYs
 * `kybernet_outcomes` with the registered model id after any insert into request_outcomes (a
 * statement trigger, migration 1795301000000), whichever code path wrote them. Listeners are called
 * with the model id after the writing transaction committed.
 */
import type { Client } from 'pg';
import type { DataSource } from 'typeorm';

export const OUTCOMES_CHANNEL = 'kybernet_outcomes';

type Listener = (registeredModelId: string) => void;

export class OutcomeSignal {
  private client?: Client;
  private readonly listeners = new Set<Listener>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly onError: (error: unknown) => void,
  ) {}

  async start(): Promise<void> {
    const { Client: PgClient } = await import('pg');
    const options = this.dataSource.options as { url?: string };
    this.client = new PgClient({ connectionString: options.url, application_name: 'kybernet-outcomes' });
    this.client.on('error', (error) => this.onError(error));
    this.client.on('notification', (message) => {
      if (!message.payload) return;
      for (const listener of this.listeners) {
        try {
          listener(message.payload);
        } catch (error) {
          this.onError(error);
        }
      }
    });
    await this.client.connect();
    await this.client.query(`LISTEN ${OUTCOMES_CHANNEL}`);
  }

  /** Calls `listener` with the model id whenever outcomes of that model were recorded. Returns the unsubscribe. */
  onOutcomes(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async stop(): Promise<void> {
    await this.client?.end().catch(() => undefined);
  }
}
