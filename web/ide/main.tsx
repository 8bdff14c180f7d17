/**
 * The GraphQL IDE served at GET /graphql (Accept: text/html): GraphiQL, bundled by Vite with its
 * Monaco workers, so it works without internet. Queries and mutations go over HTTP to /graphql,
 * subscriptions over graphql-ws on the same path; both carry the key from the bar above.
 */
import 'graphiql/setup-workers/vite';
import 'graphiql/style.css';
import './ide.css';
import { createGraphiQLFetcher, type Fetcher, type FetcherReturnType } from '@graphiql/toolkit';
import { GraphiQL } from 'graphiql';
import { getOperationAST, parse } from 'graphql';
import { createClient } from 'graphql-ws';
import { StrictMode, useEffect, useMemo, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { ApiKeyBar } from './api-key-bar';
import { bearer, readKey, storeKey } from './api-key';

const DEFAULT_QUERY = `# Paste an API key above (kybernet keys create viewer), then run with Ctrl-Enter.
{
  __typename
}
`;

function isSubscription(query: string, operationName?: string | null): boolean {
  try {
    return getOperationAST(parse(query), operationName ?? undefined)?.operation === 'subscription';
  } catch {
    return false; // not parseable: let the server say why
  }
}

function Ide() {
  const [key, setKey] = useState(readKey);
  const endpoint = useMemo(() => new URL('/graphql', window.location.href), []);
  const wsClient = useMemo(() => {
    const authorization = bearer(key);
    return createClient({
      url: endpoint.href.replace(/^http/, 'ws'),
      connectionParams: authorization ? { authorization } : {},
      lazy: true,
      retryAttempts: 0,
    });
  }, [endpoint, key]);
  useEffect(() => () => void wsClient.dispose(), [wsClient]);
  const fetcher = useMemo<Fetcher>(() => {
    const authorization = bearer(key);
    const http = createGraphiQLFetcher({ url: endpoint.href, headers: authorization ? { Authorization: authorization } : {} });
    // Every subscription goes over graphql-ws, named or not (GraphiQL's own routing misses anonymous ones,
    // which then reached the HTTP endpoint).
    // (graphql-ws yields results as they arrive on the wire, errors formatted; GraphiQL shows them as JSON either way.)
    const subscribe = (params: Parameters<Fetcher>[0]) =>
      wsClient.iterate({
        query: params.query,
        operationName: params.operationName ?? undefined,
        variables: params.variables,
      }) as unknown as FetcherReturnType;
    return (params, options) => (isSubscription(params.query, params.operationName) ? subscribe(params) : http(params, options));
  }, [endpoint, key, wsClient]);
  const useKey = (next: string) => {
    storeKey(next);
    setKey(next);
  };
  return (
    <div className="kyb-ide">
      <ApiKeyBar value={key} onChange={useKey} />
      <div className="kyb-graphiql">
        {/* A new key is a new fetcher: GraphiQL introspects again with it. */}
        <GraphiQL key={key} fetcher={fetcher} defaultQuery={DEFAULT_QUERY} />
      </div>
    </div>
  );
}

createRoot(document.getElementById('ide')!).render(
  <StrictMode>
    <Ide />
  </StrictMode>,
);
