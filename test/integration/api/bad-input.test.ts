/**
 * Bad input gets a clear, coded error and changes nothing. Each case checks the error's
 * `extensions.code` and message, and that no row, event or status changed.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CreateDatasetDocument,
  CreateRegisteredModelDocument,
  ImportModelDocument,
  PredictDocument,
  PromoteModelDocument,
  RegisteredModelDocument,
  TrainModelDocument,
  TypenameDocument,
} from '../../generated/graphql';
import { startTestApp, type TestApp } from '../../helpers/app';
import { dataOf, errorOf, request } from '../../helpers/graphql';
import { syntheticRows, waitForJob } from '../../helpers/fixtures';
import { describeWithShared, readSharedJson, readSharedText } from '../../helpers/shared';

let t: TestApp;
// Every response body of this suite, checked at the end for stack traces and server paths.
const responseBodies: string[] = [];
const realFetch = globalThis.fetch;
beforeAll(async () => {
  t = await startTestApp();
  globalThis.fetch = async (...args: Parameters<typeof fetch>) => {
    const response = await realFetch(...args);
    responseBodies.push(await response.clone().text());
    return response;
  };
});
afterAll(async () => {
  globalThis.fetch = realFetch;
  await t?.close();
});

async function count(table: string, where = 'true', params: unknown[] = []): Promise<number> {
  const [row] = await t.dataSource.query(`SELECT count(*)::int AS n FROM ${table} WHERE ${where}`, params);
  return row.n;
}

async function snapshot() {
  return {
    predictions: await count('predictions'),
    // Background verdicts (shadow testing) may append their own events; what a refusal must not add are model changes.
    events: await count('events', `type LIKE 'model.%'`),
    versions: await t.dataSource.query('SELECT id, status FROM model_versions ORDER BY id'),
    jobs: await count('jobs'),
    datasets: await count('datasets'),
  };
}

async function importFixture(name: string, activate: boolean) {
  const expected = readSharedJson<{ feature_names: string[] }>('fixtures/xgboost/regression.expected.json');
  return dataOf(
    await t.as('operator')(ImportModelDocument, {
      input: {
        name,
        family: 'xgboost',
        format: 'xgboost-json',
        files: [{ path: 'model.json', contentBase64: Buffer.from(readSharedText('fixtures/xgboost/regression.json')).toString('base64') }],
        featureNames: expected.feature_names,
        activate,
      },
    }),
  ).importModel;
}

describe('API keys and roles', () => {
  it('refuses a request without a key, with a wrong key and with a revoked key (401, UNAUTHENTICATED)', async () => {
    const missing = await request(t.http.url, undefined, TypenameDocument);
    expect(missing.status).toBe(401);
    expect(errorOf(missing)).toMatchObject({ code: 'UNAUTHENTICATED', message: expect.stringContaining('Authorization: Bearer') });
    const wrong = await request(t.http.url, `kyb_${'x'.repeat(43)}`, TypenameDocument);
    expect(errorOf(wrong)).toMatchObject({ code: 'UNAUTHENTICATED', message: 'the API key is unknown or revoked' });
    const malformed = await request(t.http.url, 'hunter2', TypenameDocument);
    expect(errorOf(malformed).code).toBe('UNAUTHENTICATED');

    const { key, record } = await t.app.services.apiKeys.createKey('viewer', 'soon revoked');
    expect(dataOf(await request(t.http.url, key, TypenameDocument)).__typename).toBe('Query');
    await t.app.services.apiKeys.revokeKey(record.id);
    expect(errorOf(await request(t.http.url, key, TypenameDocument)).code).toBe('UNAUTHENTICATED');
    const [stored] = await t.dataSource.query('SELECT key_hash FROM api_keys WHERE id = $1', [record.id]);
    expect(stored.key_hash).not.toContain(key.slice(4));
  });

  it('refuses a trader calling promoteModel (FORBIDDEN, names the role) and a viewer predicting', async () => {
    await importFixture('guarded', true);
    const before = await snapshot();
    const denied = errorOf(await t.as('trader')(PromoteModelDocument, { input: { model: 'guarded', version: 1 } }));
    expect(denied).toMatchObject({
      code: 'FORBIDDEN',
      message: 'promoteModel requires the operator role, but this API key has the trader role',
    });
    expect(errorOf(await t.as('viewer')(PredictDocument, { input: { model: 'guarded', features: [0, 0, 0, 0, 0, 0, 0, 0] } })).code).toBe(
      'FORBIDDEN',
    );
    expect(await snapshot()).toEqual(before);
  });

  it('writes every operator and admin mutation to the audit log with its outcome, and no trader one', async () => {
    await t.as('operator')(CreateRegisteredModelDocument, { input: { name: 'audited', family: 'xgboost' } });
    await t.as('operator')(CreateRegisteredModelDocument, { input: { name: 'audited', family: 'xgboost' } });
    await t.as('trader')(PredictDocument, { input: { model: 'audited', features: [1] } });
    const rows = await t.dataSource.query(
      `SELECT role, operation, outcome, variables FROM audit_log WHERE operation = 'createRegisteredModel' ORDER BY id`,
    );
    expect(rows.slice(-2).map((row: { outcome: string }) => row.outcome)).toEqual(['OK', 'CONFLICT']);
    expect(rows.at(-1)).toMatchObject({ role: 'operator', variables: { input: { name: 'audited', family: 'xgboost' } } });
    expect(await count('audit_log', `operation = 'predict'`)).toBe(0);
  });
});

describeWithShared('predict refuses what the model cannot take', () => {
  beforeAll(async () => {
    await importFixture('strict', true);
  });

  it('refuses a wrong feature count, naming the expected features', async () => {
    const before = await count('predictions');
    const error = errorOf(await t.as('trader')(PredictDocument, { input: { model: 'strict', features: [1, 2, 3] } }));
    expect(error).toMatchObject({ code: 'BAD_USER_INPUT', extensions: expect.objectContaining({ field: 'features' }) });
    expect(error.message).toBe(
      'features: expects 8 features (ret_1, ret_5, ret_20, vol_20, rsi_14, sma_ratio_20_50, bollinger_pos, volume_z), but got 3',
    );
    expect(await count('predictions')).toBe(before);
  });

  it('refuses ±Inf and values beyond float32', async () => {
    const before = await count('predictions');
    const infinite = await fetch(t.http.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${t.keys.trader}` },
      body: `{"query":"mutation($f:[Float]!){predict(input:{model:\\"strict\\",features:$f}){id}}","variables":{"f":[1e999,0,0,0,0,0,0,0]}}`,
    }).then((response) => response.json() as Promise<{ errors: { message: string; extensions: { code: string } }[] }>);
    expect(infinite.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    expect(infinite.errors[0].message).toContain('Float cannot represent non numeric value: Infinity');
    const huge = errorOf(await t.as('trader')(PredictDocument, { input: { model: 'strict', features: [1e39, 0, 0, 0, 0, 0, 0, 0] } }));
    expect(huge).toMatchObject({ code: 'BAD_USER_INPUT', message: 'features: feature "ret_1" expects a finite float32, but got 1e+39' });
    expect(await count('predictions')).toBe(before);
  });

  it('answers an unknown model with NOT_FOUND', async () => {
    const error = errorOf(await t.as('trader')(PredictDocument, { input: { model: 'nope', features: [1] } }));
    expect(error).toMatchObject({ code: 'NOT_FOUND', message: 'no registered model named "nope"' });
  });

  it('refuses a reused request id for that request only', async () => {
    const features = [0, 0, 0, 0.01, 50, 0, 0, 0];
    dataOf(await t.as('trader')(PredictDocument, { input: { model: 'strict', features, requestId: 'once' } }));
    const [again, fresh] = await Promise.all([
      t.as('trader')(PredictDocument, { input: { model: 'strict', features, requestId: 'once' } }),
      t.as('trader')(PredictDocument, { input: { model: 'strict', features } }),
    ]);
    expect(errorOf(again)).toMatchObject({ code: 'CONFLICT', extensions: expect.objectContaining({ field: 'requestId' }) });
    expect(dataOf(fresh).predict.id).toBeTruthy();
    expect(await count('predictions', `request_id = 'once'`)).toBe(1);
  });
});

describeWithShared('promotion refuses what must not serve', () => {
  it('refuses a flipped byte in a stored artifact: the load fails naming the file, the ACTIVE version keeps serving', async () => {
    await importFixture('tampered', true);
    await importFixture('tampered', false);
    const onnxPath = join(t.dataDir, 'artifacts', 'models', 'tampered', 'v2', 'model.onnx');
    const bytes = readFileSync(onnxPath);
    bytes[Math.floor(bytes.length / 2)] ^= 0x01;
    writeFileSync(onnxPath, bytes);
    const before = await snapshot();

    const error = errorOf(await t.as('operator')(PromoteModelDocument, { input: { model: 'tampered', version: 2 } }));
    expect(error).toMatchObject({ code: 'INTERNAL_SERVER_ERROR', extensions: expect.objectContaining({ reason: 'ARTIFACT_INTEGRITY' }) });
    expect(error.message).toContain('models/tampered/v2/model.onnx');

    const served = dataOf(
      await t.as('trader')(PredictDocument, { input: { model: 'tampered', features: [0, 0, 0, 0.01, 50, 0, 0, 0] } }),
    ).predict;
    expect(served.modelVersion).toMatchObject({ version: 1, status: 'ACTIVE' });
    const after = await snapshot();
    expect(after.versions).toEqual(before.versions);
    expect(after.events).toBe(before.events);
  });

  it('lets exactly one of two concurrent promotions win; the other gets CONFLICT', async () => {
    await importFixture('raced', true);
    await importFixture('raced', false);
    await importFixture('raced', false);
    const eventsBefore = await count('events', `type = 'model.promoted' AND model_name = 'raced'`);
    const [two, three] = await Promise.all([
      t.as('operator')(PromoteModelDocument, { input: { model: 'raced', version: 2 } }),
      t.as('operator')(PromoteModelDocument, { input: { model: 'raced', version: 3 } }),
    ]);
    const outcomes = [two, three].map((response) => (response.errors ? response.errors[0].extensions?.code : 'OK')).sort();
    expect(outcomes).toEqual(['CONFLICT', 'OK']);
    const model = dataOf(await t.as('viewer')(RegisteredModelDocument, { name: 'raced' })).registeredModel;
    const active = model.versions.nodes.filter((version) => version.status === 'ACTIVE');
    expect(active).toHaveLength(1);
    expect(active[0].version).toBe(two.errors ? 3 : 2);
    expect(await count('events', `type = 'model.promoted' AND model_name = 'raced'`)).toBe(eventsBefore + 1);
  });
});

describe('training refuses bad requests before anything is written', () => {
  beforeAll(async () => {
    dataOf(await t.as('operator')(CreateDatasetDocument, { input: { name: 'rows-for-errors', rows: syntheticRows(200, 3) } }));
    dataOf(await t.as('operator')(CreateRegisteredModelDocument, { input: { name: 'picky', family: 'xgboost' } }));
  });

  const input = (overrides: Record<string, unknown> = {}) => ({
    model: 'picky',
    dataset: 'rows-for-errors',
    targetColumn: 'y',
    featureColumns: ['f0', 'f1'],
    orderColumn: 't',
    ...overrides,
  });

  it('names the field of a hyperparameter of the wrong type', async () => {
    const before = await snapshot();
    const error = errorOf(await t.as('operator')(TrainModelDocument, { input: input({ hyperparameters: { max_depth: 'deep' } }) }));
    expect(error).toMatchObject({ code: 'BAD_USER_INPUT', extensions: expect.objectContaining({ field: 'hyperparameters.max_depth' }) });
    expect(error.message).toMatch(/^hyperparameters\.max_depth: .*expected number, received string/);
    const unknown = errorOf(await t.as('operator')(TrainModelDocument, { input: input({ hyperparameters: { max_dept: 3 } }) }));
    expect(unknown.message).toContain('max_dept');
    expect(await snapshot()).toEqual(before);
  });

  it('names an unknown column and the columns there are', async () => {
    const before = await snapshot();
    const error = errorOf(await t.as('operator')(TrainModelDocument, { input: input({ featureColumns: ['f0', 'nope'] }) }));
    expect(error).toMatchObject({
      code: 'BAD_USER_INPUT',
      message: 'expects featureColumns to name a column of dataset "rows-for-errors" (t, f0, f1, f2, f3, y), but got "nope"',
    });
    expect(await snapshot()).toEqual(before);
  });

  it('records a training that fails as a FAILED version, which cannot be promoted', async () => {
    dataOf(await t.as('operator')(CreateDatasetDocument, { input: { name: 'too-small', rows: syntheticRows(3, 4) } }));
    const job = dataOf(await t.as('operator')(TrainModelDocument, { input: input({ dataset: 'too-small' }) })).trainModel;
    const finished = await waitForJob(t, job.id);
    expect(finished.status).toBe('FAILED');
    expect(finished.modelVersion).toMatchObject({ status: 'FAILED' });
    const before = await snapshot();
    const error = errorOf(
      await t.as('operator')(PromoteModelDocument, { input: { model: 'picky', version: finished.modelVersion!.version } }),
    );
    expect(error).toMatchObject({
      code: 'CONFLICT',
      message: `expects a SHADOW, SNAPSHOT or RETIRED version to promote, but version ${finished.modelVersion!.version} of "picky" is FAILED`,
    });
    expect(await snapshot()).toEqual(before);
  });

  it('refuses a dataset with a bad value, naming the line and column, and stores nothing', async () => {
    const before = await snapshot();
    const error = errorOf(
      await t.as('operator')(CreateDatasetDocument, {
        input: { name: 'bad-csv', csv: 't,x,y\n1,2,3\n2,abc,4\n', columns: [{ name: 'x', type: 'NUMBER' }] },
      }),
    );
    expect(error).toMatchObject({ code: 'BAD_USER_INPUT', message: 'line 3, column "x": expects a finite number, but got "abc"' });
    expect(await snapshot()).toEqual(before);
  });
});

describe('every response of this suite', () => {
  it('carries no stack trace and no path on the server', () => {
    expect(responseBodies.length).toBeGreaterThan(10);
    const absolutePath = /(^|[\s'"`(=:,[])\/(?:[\w.@+~-]+\/)+/;
    for (const body of responseBodies) {
      expect(body).not.toMatch(/stacktrace|\bat \S+ \(|node_modules/);
      expect(body).not.toMatch(absolutePath);
      expect(body).not.toContain(process.cwd());
      expect(body).not.toContain(t.dataDir);
    }
  });
});
