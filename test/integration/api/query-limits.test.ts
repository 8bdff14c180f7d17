/**
 * Limits a client can see, each a coded refusal naming the limit and its setting, the same over HTTP
 * and graphql-ws: query depth, aliases, tokens and cost; requests per second per key (429 with
 * Retry-After); open subscriptions per key; batched HTTP operations. Introspection (the IDE's full
 * query) stays within every limit, and is for keys only.
 */
import { getIntrospectionQuery, type GraphQLFormattedError } from 'graphql';
import type { Client } from 'graphql-ws';
import { startTestApp, type TestApp } from '../../helpers/app';

let t: TestApp;
let tight: TestApp;
beforeAll(async () => {
  t = await startTestApp({ worker: false });
  tight = await startTestApp({
    worker: false,
    database: t.db,
    env: { KYBERNET_RATE_LIMIT_PER_SECOND: '5', KYBERNET_MAX_SUBSCRIPTIONS_PER_KEY: '2' },
  });
});
afterAll(async () => {
  await tight?.close();
  await t?.close();
});

async function overHttp(app: TestApp, query: string, key: string | null = app.keys.viewer) {
  const response = await fetch(app.http.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body: JSON.stringify({ query }),
  });
  return {
    status: response.status,
    retryAfter: response.headers.get('retry-after'),
    ...((await response.json()) as { data?: unknown; errors?: GraphQLFormattedError[] }),
  };
}

/** The first answer of one operation over graphql-ws (its result, or the errors it was refused with). */
function overWs(client: Client, query: string): Promise<{ data?: unknown; errors?: readonly GraphQLFormattedError[] }> {
  return new Promise((resolve, reject) => {
    const unsubscribe = client.subscribe(
      { query },
      {
        next: (result) => {
          unsubscribe();
          resolve(result as { data?: unknown; errors?: GraphQLFormattedError[] });
        },
        error: (error) => (Array.isArray(error) ? resolve({ errors: error as GraphQLFormattedError[] }) : reject(error)),
        complete: () => {},
      },
    );
  });
}

/** A query `levels` fields deep: registeredModel → activeVersion → registeredModel → … → id. */
function nested(levels: number): string {
  let inner = 'id';
  for (let level = levels - 1; level > 1; level--) inner = level % 2 ? `registeredModel { ${inner} }` : `activeVersion { ${inner} }`;
  return `{ registeredModel(name: "m") { ${inner} } }`;
}

/** About 245 of graphql-armor's cost (objects 2, scalars 1, ×1.5 per level), 10 levels deep. */
const COSTLY =
  'registeredModels { nodes { versions { nodes { registeredModel { versions { nodes { registeredModel { name family description } id version status family } } } } } } }';

describe.each([
  [
    'depth',
    nested(14),
    { reason: 'QUERY_TOO_DEEP', limit: 12, setting: 'KYBERNET_MAX_QUERY_DEPTH' },
    /^expects a query depth of at most 12 \(KYBERNET_MAX_QUERY_DEPTH\), but got \d+$/,
  ],
  [
    'aliases',
    `{ ${Array.from({ length: 60 }, (_, i) => `a${i}: policy { version }`).join(' ')} }`,
    { reason: 'QUERY_TOO_MANY_ALIASES', limit: 50, setting: 'KYBERNET_MAX_QUERY_ALIASES' },
    /^expects aliases of at most 50 \(KYBERNET_MAX_QUERY_ALIASES\), but got 60$/,
  ],
  [
    'tokens',
    `{ ${Array.from({ length: 60_000 }, () => '__typename').join(' ')} }`,
    { reason: 'QUERY_TOO_MANY_TOKENS', limit: 50_000, setting: 'KYBERNET_MAX_QUERY_TOKENS' },
    /^expects a document of at most 50000 tokens \(KYBERNET_MAX_QUERY_TOKENS; pass large inputs as variables\), but got more$/,
  ],
  [
    'cost',
    `{ ${Array.from({ length: 45 }, (_, i) => `m${i}: ${COSTLY}`).join(' ')} }`,
    { reason: 'QUERY_TOO_COSTLY', limit: 10_000, setting: 'KYBERNET_MAX_QUERY_COST' },
    /^expects a query cost of at most 10000 \(KYBERNET_MAX_QUERY_COST\), but got \d+$/,
  ],
])('a document over the %s limit', (_name, query, extensions, message) => {
  it('is refused over HTTP with 400, naming the limit', async () => {
    const answer = await overHttp(t, query);
    expect(answer.status).toBe(400);
    const error = answer.errors!.find((e) => e.extensions?.reason === extensions.reason)!;
    expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', ...extensions });
    expect(error.message).toMatch(message);
  });

  it('is refused the same over graphql-ws', async () => {
    const client = t.ws('viewer');
    try {
      const answer = await overWs(client, query);
      const error = answer.errors!.find((e) => e.extensions?.reason === extensions.reason)!;
      expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', ...extensions });
      expect(error.message).toMatch(message);
    } finally {
      await client.dispose();
    }
  });
});

it('lets the full introspection query through every limit, and only with a key', async () => {
  const introspection = await overHttp(t, getIntrospectionQuery());
  expect(introspection.status).toBe(200);
  expect(introspection.errors).toBeUndefined();
  const anonymous = await overHttp(t, getIntrospectionQuery(), null);
  expect(anonymous.status).toBe(401);
  expect(anonymous.errors![0].extensions).toMatchObject({ code: 'UNAUTHENTICATED' });
});

it('answers requests over a key’s rate 429 with Retry-After, and other keys go on', async () => {
  const answers = await Promise.all(Array.from({ length: 12 }, () => overHttp(tight, '{ __typename }', tight.keys.trader)));
  const refused = answers.filter((answer) => answer.status === 429);
  expect(refused.length).toBeGreaterThanOrEqual(7);
  expect(refused[0].retryAfter).toBe('1');
  expect(refused[0].errors![0]).toMatchObject({
    message: 'expects at most 5 requests per second from one API key (KYBERNET_RATE_LIMIT_PER_SECOND), but got more; retry after 1 s',
    extensions: {
      code: 'BAD_USER_INPUT',
      reason: 'RATE_LIMITED',
      limit: 5,
      setting: 'KYBERNET_RATE_LIMIT_PER_SECOND',
      retryAfterSeconds: 1,
    },
  });
  expect((await overHttp(tight, '{ __typename }', tight.keys.operator)).status).toBe(200);
});

it('refuses a key’s subscription beyond its limit, and counts one again once completed', async () => {
  const client = tight.ws('admin');
  const stops: (() => void)[] = [];
  try {
    const opened = () =>
      new Promise<void>((resolve) => {
        stops.push(
          client.subscribe({ query: 'subscription { promotionAlerts { id } }' }, { next: () => {}, error: () => {}, complete: () => {} }),
        );
        setTimeout(resolve, 300);
      });
    await opened();
    await opened();
    const third = await overWs(client, 'subscription { events { id } }');
    expect(third.errors![0]).toMatchObject({
      message:
        'expects at most 2 open subscriptions per API key (KYBERNET_MAX_SUBSCRIPTIONS_PER_KEY), but this key has 2; complete one first',
      extensions: { code: 'BAD_USER_INPUT', reason: 'TOO_MANY_SUBSCRIPTIONS', limit: 2 },
    });
    stops.shift()!();
    await new Promise((resolve) => setTimeout(resolve, 300));
    await opened();
  } finally {
    for (const stop of stops) stop();
    await client.dispose();
  }
});

it('refuses batched HTTP operations (one operation per request)', async () => {
  const response = await fetch(t.http.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${t.keys.viewer}` },
    body: JSON.stringify([{ query: '{ __typename }' }, { query: '{ __typename }' }]),
  });
  expect(response.status).toBe(400);
});
