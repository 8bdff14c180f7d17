/**
 * `kybernet subscribe DOCUMENT`: runs one GraphQL subscription against a running server over graphql-ws
 * and prints each result as a line of JSON, until Ctrl-C or until the server ends it — e.g.
 *
 *   npm run --silent kybernet -- subscribe --key "$KYBERNET_API_KEY" 'subscription { promotionAlerts { type payload } }'
 *
 * The key travels as the `authorization` connection parameter (any role may subscribe). A refusal (a
 * bad document, an unknown key) is printed as the server gave it and exits 1.
 */
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

export interface SubscribeOptions {
  /** The graphql-ws endpoint, e.g. ws://localhost:4000/graphql. */
  url: string;
  /** An API key; default $KYBERNET_API_KEY. */
  key?: string;
  /** Variables as a JSON object. */
  variables?: string;
}

export const DEFAULT_SUBSCRIBE_URL = `ws://localhost:${process.env.PORT || 4000}/graphql`;

function parseVariables(text: string | undefined): Record<string, unknown> | undefined {
  if (text === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`expects --variables to be a JSON object, but got ${text.slice(0, 80)}`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new Error(`expects --variables to be a JSON object, but got ${text.slice(0, 80)}`);
  return parsed as Record<string, unknown>;
}

/** Resolves when the subscription ends (0) or fails (1): the exit code. */
export async function subscribe(document: string, options: SubscribeOptions): Promise<number> {
  const key = options.key ?? process.env.KYBERNET_API_KEY;
  if (!key)
    throw new Error(
      'expects an API key: pass --key KEY or set KYBERNET_API_KEY (make one with `npm run kybernet -- keys create --role viewer`)',
    );
  const variables = parseVariables(options.variables);
  const client = createClient({
    url: options.url,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${key}` },
    retryAttempts: 0,
    lazy: true,
    on: { connected: () => console.error(`subscribed on ${options.url}; one line of JSON per event (Ctrl-C to stop)`) },
  });
  const stop = () => void client.dispose();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    return await new Promise<number>((resolve) => {
      let failed = false;
      client.subscribe(
        { query: document, variables },
        {
          next: (result) => {
            console.log(JSON.stringify(result));
            if (result.errors?.length) failed = true;
          },
          error: (error: unknown) => {
            const closed = error as { code?: number; reason?: string };
            if (Array.isArray(error)) console.log(JSON.stringify({ errors: error }));
            else
              console.error(
                closed?.reason
                  ? `the server closed the connection (${closed.code}): ${closed.reason}`
                  : `subscription failed: ${(error as Error)?.message ?? String(error)}`,
              );
            resolve(1);
          },
          complete: () => resolve(failed ? 1 : 0),
        },
      );
    });
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await client.dispose();
  }
}
