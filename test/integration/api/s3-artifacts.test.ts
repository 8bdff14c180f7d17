/** The same registry and serving with artifacts and datasets in an S3 bucket (a real s3rver). */
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { CreateDatasetDocument, CreateRegisteredModelDocument, PredictDocument, TrainModelDocument } from '../../generated/graphql';
import { startTestApp, type TestApp } from '../../helpers/app';
import { syntheticRows, waitForJob } from '../../helpers/fixtures';
import { dataOf } from '../../helpers/graphql';
import { S3RVER_CREDENTIALS, startS3rver, type RunningS3rver } from '../../helpers/s3rver';

let s3: RunningS3rver;
let t: TestApp;

const savedEnv = { ...process.env };

beforeAll(async () => {
  s3 = await startS3rver('kybernet-artifacts');
  // The AWS SDK reads credentials from the process environment (its default chain), as in production.
  process.env.AWS_ACCESS_KEY_ID = S3RVER_CREDENTIALS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = S3RVER_CREDENTIALS.secretAccessKey;
  t = await startTestApp({ env: { S3_BUCKET: s3.bucket, S3_ENDPOINT: s3.endpoint, S3_PREFIX: 'prod' } });
});
afterAll(async () => {
  await t?.close();
  await s3?.stop();
  process.env = savedEnv;
});

it('trains, registers and serves a version whose dataset and artifacts live in S3', async () => {
  expect(t.app.services.store.location).toContain('s3://kybernet-artifacts');
  dataOf(await t.as('operator')(CreateDatasetDocument, { input: { name: 'rows-in-s3', rows: syntheticRows(300, 5) } }));
  dataOf(await t.as('operator')(CreateRegisteredModelDocument, { input: { name: 'bucketed', family: 'xgboost' } }));
  const job = dataOf(
    await t.as('operator')(TrainModelDocument, {
      input: {
        model: 'bucketed',
        dataset: 'rows-in-s3',
        targetColumn: 'y',
        featureColumns: ['f0', 'f1', 'f2', 'f3'],
        orderColumn: 't',
        hyperparameters: { num_boost_round: 10 },
        activate: true,
      },
    }),
  ).trainModel;
  expect((await waitForJob(t, job.id)).status).toBe('COMPLETED');

  const client = new S3Client({ endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: S3RVER_CREDENTIALS });
  const listed = await client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: 'prod/' }));
  const keys = (listed.Contents ?? []).map((object) => object.Key).sort();
  expect(keys).toEqual(expect.arrayContaining(['prod/models/bucketed/v1/model.json', 'prod/models/bucketed/v1/model.onnx']));
  expect(keys.some((key) => /^prod\/datasets\/[0-9a-f-]+\/table\.json\.gz$/.test(key!))).toBe(true);
  client.destroy();

  const prediction = dataOf(
    await t.as('trader')(PredictDocument, { input: { model: 'bucketed', features: [0.5, -0.5, 0, null] } }),
  ).predict;
  expect(prediction.modelVersion).toMatchObject({ version: 1, status: 'ACTIVE' });
  expect(prediction.value).not.toBeNull();
});
