/** Real HTTP and graphql-ws clients for the typed documents generated from test/operations. */
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print, type GraphQLFormattedError } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

export interface GraphQLResponse<TData> {
  data?: TData | null;
  errors?: GraphQLFormattedError[];
  status: number;
}

export async function request<TData, TVariables>(
  url: string,
  key: string | undefined,
  document: TypedDocumentNode<TData, TVariables>,
  variables?: TVariables,
): Promise<GraphQLResponse<TData>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body: JSON.stringify({ query: print(document), variables }),
  });
  const body = (await response.json()) as { data?: TData; errors?: GraphQLFormattedError[] };
  return { ...body, status: response.status };
}

/** The data of a response that must have succeeded (the errors are shown otherwise). */
export function dataOf<TData>(response: GraphQLResponse<TData>): TData {
  if (response.errors?.length || !response.data) throw new Error(`expected data, got errors: ${JSON.stringify(response.errors)}`);
  return response.data;
}

/** The single error of a response that must have failed. */
export function errorOf(response: GraphQLResponse<unknown>): GraphQLFormattedError & { code: string } {
  if (!response.errors?.length) throw new Error(`expected an error, got data: ${JSON.stringify(response.data)}`);
  const [error] = response.errors;
  return { ...error, code: String(error.extensions?.code) };
}

export function wsClient(wsUrl: string, key: string | undefined): Client {
  return createClient({
    url: wsUrl,
    webSocketImpl: WebSocket,
    connectionParams: key ? { authorization: `Bearer ${key}` } : {},
    retryAttempts: 0,
    lazy: true,
  });
}

/** Collects subscription results until `until` says stop (or the timeout). */
export function collect<TData, TVariables extends Record<string, unknown>>(
  client: Client,
  document: TypedDocumentNode<TData, TVariables>,
  variables: TVariables,
  until: (items: TData[]) => boolean,
  timeoutMs = 30_000,
): Promise<TData[]> {
  const items: TData[] = [];
  return new Promise<TData[]>((resolve, reject) => {
    let unsubscribe = () => {};
    const timer = setTimeout(() => {
      unsubscribe();
      reject(new Error(`subscription timed out after ${timeoutMs} ms with ${items.length} items: ${JSON.stringify(items).slice(0, 2000)}`));
    }, timeoutMs);
    unsubscribe = client.subscribe<TData>(
      { query: print(document), variables },
      {
        next: (result) => {
          if (result.errors) {
            clearTimeout(timer);
            unsubscribe();
            reject(new Error(JSON.stringify(result.errors)));
            return;
          }
          items.push(result.data as TData);
          if (until(items)) {
            clearTimeout(timer);
            unsubscribe();
            resolve(items);
          }
        },
        error: (error) => {
          clearTimeout(timer);
          reject(error instanceof Error ? error : new Error(JSON.stringify(error)));
        },
        complete: () => {
          clearTimeout(timer);
          resolve(items);
        },
      },
    );
  });
}
