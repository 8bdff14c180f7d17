/**
 * The predict path under concurrency, over real HTTP and Postgres: calls that share a micro-batch (one
 * session run, one insert) keep their own fates — one call's unstorable input fails that call alone,
 * its neighbours are answered and stored as if it had not been there.
 */
import { randomBytes } from 'node:crypto';
import { ImportModelDocument, PredictDocument } from '../../generated/graphql';
import { startTestApp, type TestApp } from '../../helpers/app';
import { dataOf, errorOf } from '../../helpers/graphql';
import { describeWithShared, readSharedJson, readSharedText } from '../../helpers/shared';

jest.setTimeout(120_000);

describeWithShared('predict batching', () => {
  let t: TestApp;
  let featureNames: string[];
  /** Random, so incompressible: the index cannot squeeze it under its row size limit. */
  const hugeRequestId = (bytes: number) => randomBytes(Math.ceil((bytes * 3) / 4)).toString('base64');
  const row = (i: number) => featureNames.map((_, j) => Math.sin(i + j));
  const storedRows = async (requestIds: string[]): Promise<number> =>
    (await t.dataSource.query(`SELECT count(*)::int AS n FROM predictions WHERE request_id = ANY($1)`, [requestIds]))[0].n;

  beforeAll(async () => {
    t = await startTestApp({ worker: false });
    featureNames = readSharedJson<{ feature_names: string[] }>('fixtures/xgboost/regression.expected.json').feature_names;
    dataOf(
      await t.as('operator')(ImportModelDocument, {
        input: {
          name: 'batched',
          family: 'xgboost',
          format: 'xgboost-json',
          files: [{ path: 'model.json', contentBase64: Buffer.from(readSharedText('fixtures/xgboost/regression.json')).toString('base64') }],
          featureNames,
          activate: true,
        },
      }),
    );
  });
  afterAll(async () => {
    await t?.close();
  });

  it('group commit: calls that arrive together are written in shared transactions, each answered after its row committed', async () => {
    const requestIds = Array.from({ length: 200 }, (_, i) => `group-${i}`);
    const { serving } = t.app.services;
    const seenAtAnswer = await Promise.all(
      requestIds.map(async (requestId, i) => {
        const answer = await serving.predict({ model: 'batched', features: row(i), requestId });
        // Another connection sees the row as soon as the answer arrives: it had committed.
        const [stored] = await t.dataSource.query(`SELECT id FROM predictions WHERE id = $1`, [answer.id]);
        return stored?.id === answer.id;
      }),
    );
    expect(seenAtAnswer).toEqual(requestIds.map(() => true));
    const [{ transactions, rows }] = await t.dataSource.query(
      `SELECT count(DISTINCT xmin::text)::int AS transactions, count(*)::int AS rows FROM predictions WHERE request_id = ANY($1)`,
      [requestIds],
    );
    expect(rows).toBe(requestIds.length);
    expect(transactions).toBeLessThan(requestIds.length / 4);

    // Over HTTP too, every answer follows its commit.
    const overHttp = await Promise.all(
      requestIds.map(async (requestId, i) => {
        const answer = dataOf(await t.as('trader')(PredictDocument, { input: { model: 'batched', features: row(i), requestId: `http-${requestId}` } })).predict;
        const [stored] = await t.dataSource.query(`SELECT id FROM predictions WHERE id = $1`, [answer.id]);
        return stored?.id === answer.id;
      }),
    );
    expect(overHttp).toEqual(requestIds.map(() => true));
  });

  it('a request the log cannot store fails alone inside a shared micro-batch; its neighbours are answered and stored', async () => {
    // Called on the service, past any bound the API puts on requestId: the row reaches the shared
    // insert, whose unique index refuses a 20 KB key ("index row requires … bytes").
    const { serving } = t.app.services;
    const normal = Array.from({ length: 300 }, (_, i) => `svc-normal-${i}`);
    const calls = normal.map((requestId, i) => serving.predict({ model: 'batched', features: row(i), requestId }));
    const hostile = serving.predict({ model: 'batched', features: row(0), requestId: hugeRequestId(20_000) });
    const settled = await Promise.allSettled([...calls, hostile]);
    const refused = settled.pop() as PromiseRejectedResult;
    expect(refused.status).toBe('rejected');
    expect(refused.reason).toMatchObject({ code: 'BAD_USER_INPUT' });
    expect(settled.every((result) => result.status === 'fulfilled')).toBe(true);
    const answers = settled.map((result) => (result as PromiseFulfilledResult<{ requestId: string; value: number | null }>).value);
    expect(answers.map((answer) => answer.requestId)).toEqual(normal);
    expect(await storedRows(normal)).toBe(normal.length);
    // Answered as if alone: the same value a single call gets for the same row.
    const alone = await serving.predict({ model: 'batched', features: row(7), requestId: 'svc-alone-7' });
    expect(answers[7].value).toBeCloseTo(alone.value!, 6);
  });

  it('over HTTP: 600 concurrent normal calls all succeed beside 20 hostile ones that each get a coded refusal', async () => {
    const normal = Array.from({ length: 600 }, (_, i) => `http-normal-${i}`);
    const hostile = Array.from({ length: 20 }, (_, i) => hugeRequestId(20_000 + 4000 * i));
    const send = (requestId: string, i: number) => t.as('trader')(PredictDocument, { input: { model: 'batched', features: row(i), requestId } });
    const responses = await Promise.all([...normal.map(send), ...hostile.map(send)]);
    const normalAnswers = responses.slice(0, normal.length).map((response) => dataOf(response).predict.requestId);
    expect(normalAnswers).toEqual(normal);
    for (const response of responses.slice(normal.length)) {
      const error = errorOf(response);
      expect(error.code).toBe('BAD_USER_INPUT');
      expect(error.message.length).toBeLessThan(1000);
    }
    expect(await storedRows(normal)).toBe(normal.length);
    expect(await storedRows(hostile)).toBe(0);
  });
});
