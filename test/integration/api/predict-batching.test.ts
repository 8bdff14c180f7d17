/**
 * The predict paths over real HTTP and Postgres. Calls that share a micro-batch (one session run, one
 * group commit) keep their own fates — one call's unstorable input fails that call alone, its
 * neighbours are answered and stored as if it had not been there. predictBatch writes its rows by
 * COPY, all of them or none, from JSON rows or packed float32 rows alike.
 */
import { randomBytes } from 'node:crypto';
import { ImportModelDocument, PredictBatchDocument, PredictDocument } from '../../generated/graphql';
import { packRows } from '../../../src/serving/packed-rows';
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
          files: [
            { path: 'model.json', contentBase64: Buffer.from(readSharedText('fixtures/xgboost/regression.json')).toString('base64') },
          ],
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
        const answer = dataOf(
          await t.as('trader')(PredictDocument, { input: { model: 'batched', features: row(i), requestId: `http-${requestId}` } }),
        ).predict;
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
    const send = (requestId: string, i: number) =>
      t.as('trader')(PredictDocument, { input: { model: 'batched', features: row(i), requestId } });
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

  describe('predictBatch', () => {
    const batch = (count: number, seed: number) => Array.from({ length: count }, (_, i) => row(seed + i));
    const stored = (requestIdPrefix: string) =>
      t.dataSource.query(
        `SELECT id, request_id, role, features::float8[] AS features, outputs::float8[] AS outputs, value, model_version_id FROM predictions WHERE request_id LIKE $1 || ':%' ORDER BY split_part(request_id, ':', 2)::int`,
        [requestIdPrefix],
      );

    it('logs every row by COPY as the answers say, the same from rows and from packedRows', async () => {
      const rows = batch(2500, 1000); // more than one part of the COPY stream
      const fromJson = dataOf(
        await t.as('trader')(PredictBatchDocument, { input: { model: 'batched', rows, requestId: 'json' } }),
      ).predictBatch;
      const fromPacked = dataOf(
        await t.as('trader')(PredictBatchDocument, { input: { model: 'batched', packedRows: packRows(rows), requestId: 'packed' } }),
      ).predictBatch;
      expect(fromPacked.map((p) => p.value)).toEqual(fromJson.map((p) => p.value));
      for (const [prefix, answers] of [
        ['json', fromJson],
        ['packed', fromPacked],
      ] as const) {
        const logged = await stored(prefix);
        expect(logged).toHaveLength(rows.length);
        logged.forEach(
          (entry: { id: string; request_id: string; role: string; features: number[]; outputs: number[]; value: number }, r: number) => {
            expect(entry.id).toBe(answers[r].id);
            expect(entry.request_id).toBe(`${prefix}:${r}`);
            expect(entry.role).toBe('ACTIVE');
            expect(entry.features).toEqual(rows[r].map(Math.fround));
            expect(entry.outputs).toEqual([answers[r].value]);
            expect(entry.value).toBe(answers[r].value);
          },
        );
      }
      // A single predict of a row scores it as the batch did.
      const single = dataOf(await t.as('trader')(PredictDocument, { input: { model: 'batched', features: rows[17] } })).predict;
      expect(single.value).toBeCloseTo(fromJson[17].value!, 6);
    });

    it('writes nothing of a batch whose request id was used before (CONFLICT) or whose packed rows are malformed (BAD_USER_INPUT)', async () => {
      dataOf(await t.as('trader')(PredictBatchDocument, { input: { model: 'batched', rows: batch(3, 0), requestId: 'again' } }));
      const repeated = errorOf(
        await t.as('trader')(PredictBatchDocument, { input: { model: 'batched', rows: batch(10, 50), requestId: 'again' } }),
      );
      expect(repeated.code).toBe('CONFLICT');
      expect(repeated.message).toContain('requestId "again:');
      expect(await stored('again')).toHaveLength(3);

      const before = (await t.dataSource.query(`SELECT count(*)::int AS n FROM predictions`))[0].n;
      const packed = packRows(batch(4, 0));
      const refusals = [
        { packedRows: packed.slice(0, -4) }, // not whole rows
        { packedRows: `!${packed.slice(1)}` }, // not base64
        { packedRows: packRows([...batch(3, 0), featureNames.map(() => Infinity)]) },
        { rows: batch(2, 0), packedRows: packed },
        {},
      ];
      for (const refusal of refusals) {
        const error = errorOf(
          await t.as('trader')(PredictBatchDocument, { input: { model: 'batched', requestId: 'refused', ...refusal } }),
        );
        expect(error.code).toBe('BAD_USER_INPUT');
      }
      expect((await t.dataSource.query(`SELECT count(*)::int AS n FROM predictions`))[0].n).toBe(before);
    });

    it('takes 10,000 packed rows in one call', async () => {
      const answers = dataOf(
        await t.as('trader')(PredictBatchDocument, {
          input: { model: 'batched', packedRows: packRows(batch(10_000, 0)), requestId: 'big' },
        }),
      ).predictBatch;
      expect(answers).toHaveLength(10_000);
      expect((await t.dataSource.query(`SELECT count(*)::int AS n FROM predictions WHERE request_id LIKE 'big:%'`))[0].n).toBe(10_000);
    });
  });
});
