/**
 * The key before the body: a POST without a valid key is answered 401 from its headers, before its
 * body is read (the client is still sending when the answer arrives, and the connection is closed);
 * with a key, the body is bounded by the key's role (413 naming the setting), checked against a
 * declared Content-Length before reading and against the bytes as they stream in.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { startTestApp, type TestApp } from '../../helpers/app';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ worker: false });
});
afterAll(async () => {
  await t?.close();
});

interface Answer {
  status: number;
  body: { errors?: { message: string; extensions: Record<string, unknown> }[]; data?: unknown };
  connection: string | undefined;
  /** Bytes of the body the client had written when the answer came. */
  sentBeforeAnswer: number;
}

/**
 * POSTs a body of `totalBytes` (a JSON array of `{}`, the shape that costs a parser most), written in
 * 64 KB chunks as the socket drains, and stops writing once the answer arrives.
 */
function postLarge(headers: Record<string, string>, totalBytes: number, declareLength: boolean): Promise<Answer> {
  const chunk = Buffer.from('{},'.repeat((64 * 1024) / 3));
  return new Promise((resolve, reject) => {
    let sent = 0;
    let answered = false;
    const req = httpRequest(t.http.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(declareLength ? { 'content-length': String(totalBytes) } : {}), ...headers },
    });
    req.on('response', (response: IncomingMessage) => {
      answered = true;
      const sentBeforeAnswer = sent;
      let text = '';
      response.on('data', (part: Buffer) => (text += part.toString()));
      response.on('end', () =>
        resolve({ status: response.statusCode!, body: JSON.parse(text), connection: response.headers.connection, sentBeforeAnswer }),
      );
    });
    // The server closes the connection while we write: expected, once it has answered.
    req.on('error', (error) => (answered ? undefined : reject(error)));
    const write = () => {
      while (!answered && sent < totalBytes) {
        const part = sent === 0 ? Buffer.concat([Buffer.from('['), chunk]) : chunk;
        sent += part.length;
        if (!req.write(part)) return void req.once('drain', write);
      }
      if (!answered) req.end();
    };
    write();
  });
}

function post(key: string, body: string): Promise<{ status: number; body: Answer['body'] }> {
  return fetch(t.http.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body }).then(
    async (response) => ({
      status: response.status,
      body: (await response.json()) as Answer['body'],
    }),
  );
}

const MB = 1024 * 1024;

it.each([
  ['no key', {}, 'expects an API key as "Authorization: Bearer <key>", but the request has none'],
  ['an unknown key', { authorization: `Bearer kyb_${'A'.repeat(43)}` }, 'the API key is unknown or revoked'],
])(
  'answers a 99 MB body with %s 401 from its headers, before reading the body, and closes the connection',
  async (_name, headers, message) => {
    const answer = await postLarge(headers, 99 * MB, false);
    expect(answer.status).toBe(401);
    expect(answer.body.errors![0]).toMatchObject({ message, extensions: { code: 'UNAUTHENTICATED' } });
    expect(answer.connection).toBe('close');
    expect(answer.sentBeforeAnswer).toBeLessThan(99 * MB);
    // The server serves on.
    expect((await post(t.keys.viewer, '{"query":"{ __typename }"}')).body).toEqual({ data: { __typename: 'Query' } });
  },
);

it('bounds a body by its key’s role: 2 MB is over a viewer’s limit and within a trader’s', async () => {
  const padded = JSON.stringify({ query: '{ __typename }', variables: { pad: 'x'.repeat(2 * MB) } });
  const viewer = await post(t.keys.viewer, padded);
  expect(viewer.status).toBe(413);
  expect(viewer.body.errors![0]).toMatchObject({
    message: `expects a request body of at most ${MB} bytes for this API key's role (KYBERNET_MAX_BODY_BYTES_VIEWER), but got ${padded.length} bytes`,
    extensions: { code: 'BAD_USER_INPUT', reason: 'BODY_TOO_LARGE' },
  });
  expect(await post(t.keys.trader, padded)).toEqual({ status: 200, body: { data: { __typename: 'Query' } } });
});

it('refuses a body that streams past the role’s limit without a declared length, as soon as it crosses it', async () => {
  const answer = await postLarge({ authorization: `Bearer ${t.keys.viewer}` }, 50 * MB, false);
  expect(answer.status).toBe(413);
  expect(answer.body.errors![0].message).toBe(
    `expects a request body of at most ${MB} bytes for this API key's role (KYBERNET_MAX_BODY_BYTES_VIEWER), but got more`,
  );
  expect(answer.sentBeforeAnswer).toBeLessThan(50 * MB);
});
