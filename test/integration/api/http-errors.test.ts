/**
 * Errors as a product gives them: JSON GraphQL errors for bodies that are not JSON, no stack traces
 * unless KYBERNET_DEBUG_ERRORS=true, the same code, reason, field and message over HTTP and
 * graphql-ws, subscriptions that could never deliver refused at once, graphql-ws connections with a
 * wrong key closed with a reason, FORBIDDEN / UNAUTHENTICATED as HTTP 403 / 401, and idle keep-alive
 * connections kept open past Node's default (KYBERNET_HTTP_KEEP_ALIVE_SECONDS).
 */
import { randomUUID } from 'node:crypto';
import { Agent, request as httpRequest } from 'node:http';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { parse, type GraphQLFormattedError } from 'graphql';
import type { Client } from 'graphql-ws';
import WebSocket from 'ws';
import { startTestApp, type TestApp } from '../../helpers/app';
import { request } from '../../helpers/graphql';
import { describeWithShared, readSharedJson, readSharedText } from '../../helpers/shared';

let t: TestApp;
let debug: TestApp;
beforeAll(async () => {
  t = await startTestApp({ worker: false });
  debug = await startTestApp({ worker: false, env: { KYBERNET_DEBUG_ERRORS: 'true' }, database: t.db });
});
afterAll(async () => {
  await debug?.close();
  await t?.close();
});

function post(body: string, headers: Record<string, string> = {}, app = t) {
  return fetch(app.http.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${app.keys.viewer}`, ...headers },
    body,
  });
}

const doc = (query: string) => parse(query) as TypedDocumentNode<Record<string, unknown>, Record<string, unknown>>;

/** A query sent as written (not parsed here first), with its status and body. */
async function overHttp(
  query: string,
  variables?: Record<string, unknown>,
  key = t.keys.viewer,
): Promise<{ status: number; data?: unknown; errors?: GraphQLFormattedError[] }> {
  const response = await fetch(t.http.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, ...((await response.json()) as { data?: unknown; errors?: GraphQLFormattedError[] }) };
}

/** The first answer of one operation over graphql-ws: its result, or the errors of an `error` message. */
function overWs(
  client: Client,
  query: string,
  variables?: Record<string, unknown>,
): Promise<{ data?: unknown; errors?: readonly GraphQLFormattedError[] }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer over graphql-ws within 10 s to ${query}`)), 10_000);
    const unsubscribe = client.subscribe(
      { query, variables },
      {
        next: (result) => {
          clearTimeout(timer);
          unsubscribe();
          resolve(result as { data?: unknown; errors?: GraphQLFormattedError[] });
        },
        error: (error) => {
          clearTimeout(timer);
          if (Array.isArray(error)) resolve({ errors: error as GraphQLFormattedError[] });
          else reject(error instanceof Error ? error : new Error(JSON.stringify(error)));
        },
        complete: () => clearTimeout(timer),
      },
    );
  });
}

/** What a client reads of an error: code, reason, field and message. */
function essentials(errors: readonly GraphQLFormattedError[] | undefined) {
  expect(errors?.length).toBeGreaterThan(0);
  const [error] = errors!;
  return { code: error.extensions?.code, reason: error.extensions?.reason, field: error.extensions?.field, message: error.message };
}

/** Opens a raw graphql-ws socket, sends connection_init with `params`, resolves with how the server closed it. */
function closeOf(params: Record<string, unknown>): Promise<{ code: number; reason: string }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(t.http.wsUrl, 'graphql-transport-ws');
    socket.once('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: params })));
    socket.once('message', (data) => reject(new Error(`expected the socket to close, got ${String(data)}`)));
    socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() }));
    socket.once('error', reject);
  });
}

describe('bodies that are not JSON', () => {
  it('answers a malformed JSON body with a JSON GraphQL error (400, BAD_USER_INPUT), not an HTML page', async () => {
    const response = await post('{"query": "{ __typename }"');
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const body = (await response.json()) as { errors: GraphQLFormattedError[] };
    expect(essentials(body.errors)).toMatchObject({
      code: 'BAD_USER_INPUT',
      reason: 'INVALID_JSON',
      field: 'body',
      message: expect.stringMatching(/^expects the request body to be JSON, but it is not/),
    });
  });

  it('answers an empty body and a body of another content type the same way', async () => {
    const empty = await post('');
    expect(empty.status).toBe(400);
    expect(essentials(((await empty.json()) as { errors: GraphQLFormattedError[] }).errors)).toMatchObject({
      code: 'BAD_USER_INPUT',
      message: expect.stringContaining('the body is empty'),
    });
    const text = await post('query { __typename }', { 'content-type': 'text/plain' });
    expect(text.status).toBe(400);
    expect(essentials(((await text.json()) as { errors: GraphQLFormattedError[] }).errors)).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'Content-Type',
      message: 'expects a request body of Content-Type application/json, but got "text/plain"',
    });
  });
});

describe('stack traces', () => {
  it('keeps them out of responses unless KYBERNET_DEBUG_ERRORS=true', async () => {
    const query = doc('{ noSuchField }');
    const plain = await request(t.http.url, t.keys.viewer, query);
    expect(plain.status).toBe(400);
    expect(JSON.stringify(plain)).not.toContain('stacktrace');
    const traced = await request(debug.http.url, debug.keys.viewer, query);
    expect(traced.errors?.[0].extensions?.stacktrace).toEqual(expect.arrayContaining([expect.stringContaining('GraphQLError')]));
  });
});

describe('the same errors over HTTP and graphql-ws', () => {
  let client: Client;
  beforeAll(async () => {
    await t.as('operator')(doc('mutation($input: CreateRegisteredModelInput!) { createRegisteredModel(input: $input) { id } }'), {
      input: { name: 'errors-model', family: 'xgboost' },
    });
    client = t.ws('viewer');
  });
  afterAll(async () => {
    await client?.dispose();
  });

  // Every row has three items: with fewer, jest would pass `done` as the third argument.
  const cases: [string, string, Record<string, unknown> | null][] = [
    ['a syntax error', '{ registeredModels { ', null],
    ['an unknown field (validation)', '{ registeredModels { nodes { noSuchField } } }', null],
    ['a variable of the wrong type', 'query($name: String!) { registeredModel(name: $name) { id } }', { name: 42 }],
    ['a missing required variable', 'query($name: String!) { registeredModel(name: $name) { id } }', {}],
    ['an unknown event type (the resolver names the field)', '{ events(types: ["no.such.type"]) { id } }', null],
    ['an unknown model (NOT_FOUND)', '{ registeredModel(name: "no-such-model") { id } }', null],
    [
      'a mutation above the role (FORBIDDEN)',
      'mutation { createRegisteredModel(input: { name: "viewer-made", family: "xgboost" }) { id } }',
      null,
    ],
  ];

  it.each(cases)('%s', async (_name, query, variables) => {
    const http = await overHttp(query, variables ?? undefined);
    const webSocket = await overWs(client, query, variables ?? undefined);
    expect(essentials(webSocket.errors)).toEqual(essentials(http.errors));
    expect(essentials(http.errors).code).toMatch(/^(BAD_USER_INPUT|NOT_FOUND|FORBIDDEN)$/);
  });
});

describe('subscriptions that could never deliver', () => {
  let client: Client;
  beforeAll(() => {
    client = t.ws('viewer');
  });
  afterAll(async () => {
    await client?.dispose();
  });

  it.each([
    ['promotionAlerts of an unknown model', 'subscription { promotionAlerts(model: "no-such-model") { id } }', 'NOT_FOUND', 'model'],
    ['events of an unknown model', 'subscription { events(model: "no-such-model") { id } }', 'NOT_FOUND', 'model'],
    ['driftAlerts of an unknown model', 'subscription { driftAlerts(model: "no-such-model") { id } }', 'NOT_FOUND', 'model'],
    ['jobProgress of a malformed job id', 'subscription { jobProgress(jobId: "not-a-job") { id } }', 'BAD_USER_INPUT', 'jobId'],
    ['jobProgress of an unknown job', `subscription { jobProgress(jobId: "${randomUUID()}") { id } }`, 'NOT_FOUND', 'id'],
    ['events after a malformed event id', 'subscription { events(after: "yesterday") { id } }', 'BAD_USER_INPUT', 'after'],
  ])('refuses %s at once', async (_name, query, code, field) => {
    const answer = await overWs(client, query);
    expect(essentials(answer.errors)).toMatchObject({ code, field });
  });
});

it('refuses a subscription sent over HTTP, saying it goes over graphql-ws, with 400', async () => {
  const answer = await overHttp('subscription { promotionAlerts { id } }');
  expect(answer.status).toBe(400);
  expect(answer.errors).toHaveLength(1);
  expect(answer.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'SUBSCRIPTION_OVER_HTTP' });
  expect(answer.errors![0].message).toBe(
    `subscriptions run over graphql-ws (the graphql-transport-ws protocol) at ws://${new URL(t.http.url).host}/graphql, not over HTTP; connect a graphql-ws client there, or run \`kybernet subscribe '<document>'\``,
  );
});

describeWithShared('a subscription to a model that exists', () => {
  let client: Client;
  beforeAll(() => {
    client = t.ws('viewer');
  });
  afterAll(async () => {
    await client?.dispose();
  });

  it('still delivers a subscription to a model that exists', async () => {
    const [before] = await t.dataSource.query('SELECT coalesce(max(id), 0)::text AS id FROM events');
    const expected = readSharedJson<{ feature_names: string[] }>('fixtures/xgboost/regression.expected.json');
    const model = readSharedText('fixtures/xgboost/regression.json');
    const imported = await t.as('operator')(doc('mutation($input: ImportModelInput!) { importModel(input: $input) { id } }'), {
      input: {
        name: 'listened-model',
        family: 'xgboost',
        format: 'xgboost-json',
        files: [{ path: 'model.json', contentBase64: Buffer.from(model).toString('base64') }],
        featureNames: expected.feature_names,
      },
    });
    expect(imported.errors).toBeUndefined();
    const answer = await overWs(client, `subscription { events(model: "listened-model", after: "${before.id}") { type modelName } }`);
    expect(answer).toEqual({ data: { events: { type: 'model.registered', modelName: 'listened-model' } } });
  });
});

describe('graphql-ws connections with a wrong key', () => {
  it('closes with 4401 and says the key is unknown or revoked', async () => {
    expect(await closeOf({ authorization: `Bearer kyb_${'x'.repeat(43)}` })).toEqual({
      code: 4401,
      reason: 'the API key is unknown or revoked',
    });
    const { key, record } = await t.app.services.apiKeys.createKey('viewer', 'revoked before connecting');
    await t.app.services.apiKeys.revokeKey(record.id);
    expect(await closeOf({ authorization: `Bearer ${key}` })).toEqual({ code: 4401, reason: 'the API key is unknown or revoked' });
  });

  it('closes with 4401 and says what is missing when there is no key or a malformed one', async () => {
    expect(await closeOf({})).toEqual({
      code: 4401,
      reason: expect.stringContaining('expects an API key as the connection parameter authorization'),
    });
    expect(await closeOf({ authorization: 'hunter2' })).toEqual({
      code: 4401,
      reason: expect.stringContaining('expects an API key of the form kyb_'),
    });
  });
});

describe('HTTP statuses of refusals', () => {
  it('answers FORBIDDEN with 403 and UNAUTHENTICATED with 401', async () => {
    const forbidden = await t.as('viewer')(
      doc('mutation { createRegisteredModel(input: { name: "viewer-made", family: "xgboost" }) { id } }'),
    );
    expect(forbidden.status).toBe(403);
    expect(forbidden.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const unauthenticated = await request(t.http.url, `kyb_${'y'.repeat(43)}`, doc('{ __typename }'));
    expect(unauthenticated.status).toBe(401);
  });
});

describe('keep-alive connections', () => {
  it('keeps an idle connection open past Node’s 5 s default, so a client reusing it is answered, not reset', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const ask = () =>
      new Promise<{ reused: boolean; status: number }>((resolve, reject) => {
        const body = JSON.stringify({ query: '{ __typename }' });
        const call = httpRequest(
          t.http.url,
          {
            method: 'POST',
            agent,
            headers: {
              'content-type': 'application/json',
              'content-length': Buffer.byteLength(body),
              authorization: `Bearer ${t.keys.viewer}`,
            },
          },
          (response) => {
            response.resume();
            response.on('end', () => resolve({ reused: call.reusedSocket, status: response.statusCode! }));
          },
        );
        call.on('error', reject);
        call.end(body);
      });
    try {
      expect(await ask()).toEqual({ reused: false, status: 200 });
      await new Promise((resolve) => setTimeout(resolve, 6_000));
      expect(await ask()).toEqual({ reused: true, status: 200 });
    } finally {
      agent.destroy();
    }
  }, 20_000);
});
