/**
 * The gate before SHADOW over real HTTP and graphql-ws: a candidate trained on shuffled targets is
 * REJECTED with the gate's figures, announced as `model.gate.failed`, and never scores a live request;
 * a genuinely better candidate passes and reaches SHADOW, where it scores the same requests as the
 * ACTIVE version. promoteModel of a REJECTED candidate needs `force: true` and a reason.
 */
import seedrandom from 'seedrandom';
import {
  CreateDatasetDocument,
  CreateRegisteredModelDocument,
  ImportGatedDocument,
  PredictDocument,
  PromotePastGateDocument,
  PromotionAlertsDocument,
  VersionGateDocument,
} from '../../generated/graphql';
import { startTestApp, type TestApp } from '../../helpers/app';
import { syntheticRows } from '../../helpers/fixtures';
import { trainVersion } from '../../helpers/learning';
import { collect, dataOf, errorOf } from '../../helpers/graphql';

const FEATURES = ['f0', 'f1', 'f2', 'f3'];
const WEAK = { num_boost_round: 3, max_depth: 1, eta: 0.1, early_stopping_rounds: 0, seed: 1 };
const STRONG = { num_boost_round: 80, max_depth: 3, early_stopping_rounds: 0, seed: 1 };
const MODEL = 'gated';
const ROWS = 800;

let t: TestApp;

/** The rows with the targets of the first 70 % shuffled (a broken label pipeline); the latest rows, held out, keep theirs. */
function withShuffledTargets(rows: Record<string, number | null>[]): Record<string, number | null>[] {
  const cut = Math.floor(rows.length * 0.7);
  const targets = rows.slice(0, cut).map((row) => row.y);
  const random = seedrandom('shuffle');
  for (let i = targets.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [targets[i], targets[j]] = [targets[j], targets[i]];
  }
  return rows.map((row, i) => (i < cut ? { ...row, y: targets[i] } : row));
}

async function train(dataset: string, hyperparameters: Record<string, unknown>, activate = false) {
  const version = await trainVersion(t, MODEL, dataset, { activate, seed: Number(hyperparameters.seed), hyperparameters });
  return dataOf(await t.as('viewer')(VersionGateDocument, { id: version.id })).modelVersion;
}

async function versionCount(): Promise<number> {
  const [row] = await t.dataSource.query(`SELECT count(*)::int AS n FROM model_versions`);
  return row.n;
}

async function predictionsOf(versionId: string): Promise<number> {
  const [row] = await t.dataSource.query(`SELECT count(*)::int AS n FROM predictions WHERE model_version_id = $1`, [versionId]);
  return row.n;
}

beforeAll(async () => {
  t = await startTestApp();
  const rows = syntheticRows(ROWS, 31);
  dataOf(await t.as('operator')(CreateDatasetDocument, { input: { name: 'gate-rows', rows } }));
  dataOf(await t.as('operator')(CreateDatasetDocument, { input: { name: 'gate-shuffled', rows: withShuffledTargets(rows) } }));
  dataOf(await t.as('operator')(CreateRegisteredModelDocument, { input: { name: MODEL, family: 'xgboost' } }));
}, 120_000);

afterAll(async () => {
  await t?.close();
});

describe('the gate before SHADOW', () => {
  let active: Awaited<ReturnType<typeof train>>;
  let rejected: Awaited<ReturnType<typeof train>>;

  it('lets the first version through: there is nothing to compare it with', async () => {
    active = await train('gate-rows', WEAK, true);
    expect(active.status).toBe('ACTIVE');
    expect(active.gate).toMatchObject({ passed: true, compared: false, reasons: [expect.stringMatching(/no ACTIVE version/)] });
  });

  it('REJECTS a candidate trained on shuffled targets, with its figures, and announces it on promotionAlerts', async () => {
    const ws = t.ws('viewer');
    const alerts = collect(ws, PromotionAlertsDocument, { model: MODEL }, (items) =>
      items.some((item) => item.promotionAlerts.type === 'model.gate.failed'),
    );
    rejected = await train('gate-shuffled', STRONG);
    expect(rejected.status).toBe('REJECTED');
    const gate = rejected.gate!;
    expect(gate).toMatchObject({ passed: false, compared: true, againstVersion: active.version, lossName: 'squared_error' });
    expect(gate.rows).toBeGreaterThanOrEqual(30);
    expect(gate.improvementPct!).toBeLessThan(2);
    expect(gate.folds).toHaveLength(3);
    expect(gate.folds.reduce((sum, fold) => sum + fold.rows, 0)).toBe(gate.rows);
    expect(gate.candidate!.meanLoss).toBeGreaterThan(gate.active!.meanLoss);
    expect(gate.reasons.join(' ')).toMatch(/promotion_gate.min_improvement_pct/);

    const failed = (await alerts).map((item) => item.promotionAlerts).find((event) => event.type === 'model.gate.failed')!;
    expect(failed.payload).toMatchObject({ model: MODEL, version: rejected.version, passed: false, againstVersion: active.version });
    ws.dispose();
  });

  it('passes a genuinely better candidate to SHADOW, which scores live requests while the REJECTED one never does', async () => {
    const better = await train('gate-rows', STRONG);
    expect(better.status).toBe('SHADOW');
    expect(better.gate).toMatchObject({ passed: true, compared: true, againstVersion: active.version });
    expect(better.gate!.improvementPct!).toBeGreaterThan(2);
    expect(better.gate!.foldsImproved!).toBeGreaterThanOrEqual(2);

    for (const row of syntheticRows(20, 99)) {
      const answer = dataOf(
        await t.as('trader')(PredictDocument, { input: { model: MODEL, features: FEATURES.map((f) => row[f]) } }),
      ).predict;
      expect(answer.modelVersion.version).toBe(active.version);
    }
    const deadline = Date.now() + 20_000;
    while ((await predictionsOf(better.id)) < 20 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await predictionsOf(better.id)).toBe(20);
    expect(await predictionsOf(rejected.id)).toBe(0);
  });

  it('judges an import with validation rows the same way: a worse one is REJECTED and not activated', async () => {
    // The artifact files of two versions trained here, imported as a model trained elsewhere would be.
    const filesOf = async (id: string) => {
      const artifact = await t.app.services.registry.loadArtifact(await t.app.services.registry.getModelVersion(id));
      return Object.entries(artifact.files).map(([path, bytes]) => ({ path, contentBase64: Buffer.from(bytes).toString('base64') }));
    };
    const importing = async (id: string, validation: { dataset: string; targetColumn: string; orderColumn: string }) =>
      t.as('operator')(ImportGatedDocument, {
        input: {
          name: MODEL,
          family: 'xgboost',
          format: 'xgboost-json',
          files: await filesOf(id),
          featureNames: FEATURES,
          activate: true,
          validation,
        },
      });
    const versionsBefore = await versionCount();
    const lacking = errorOf(await importing(rejected.id, { dataset: 'gate-rows', targetColumn: 'y', orderColumn: 'when' }));
    expect(lacking.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'validation.dataset', missing: ['when'] });
    expect(await versionCount()).toBe(versionsBefore);

    const worse = dataOf(await importing(rejected.id, { dataset: 'gate-rows', targetColumn: 'y', orderColumn: 't' })).importModel;
    expect(worse).toMatchObject({
      source: 'IMPORTED',
      status: 'REJECTED',
      gate: { passed: false, compared: true, rows: ROWS, againstVersion: active.version },
    });
    const activeNow = dataOf(await t.as('viewer')(VersionGateDocument, { id: active.id })).modelVersion;
    expect(activeNow.status).toBe('ACTIVE');
    const [failed] = await t.dataSource.query(`SELECT payload FROM events WHERE type = 'model.gate.failed' AND model_version_id = $1`, [
      worse.id,
    ]);
    expect(failed.payload).toMatchObject({ version: worse.version, passed: false });
  });

  it('promotes a REJECTED candidate by hand only with force: true and a reason', async () => {
    const refused = await t.as('operator')(PromotePastGateDocument, { input: { model: MODEL, version: rejected.version } });
    expect(errorOf(refused).extensions).toMatchObject({ code: 'CONFLICT', reason: 'GATE_FAILED', field: 'force' });
    expect(errorOf(refused).message).toMatch(
      /failed the gate before SHADOW .*promotion_gate.min_improvement_pct.*force: true and a reason/,
    );

    const noReason = await t.as('operator')(PromotePastGateDocument, { input: { model: MODEL, version: rejected.version, force: true } });
    expect(errorOf(noReason).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'reason' });
    const unchanged = dataOf(await t.as('viewer')(VersionGateDocument, { id: rejected.id })).modelVersion;
    expect(unchanged.status).toBe('REJECTED');

    const forced = dataOf(
      await t.as('operator')(PromotePastGateDocument, {
        input: { model: MODEL, version: rejected.version, force: true, reason: 'label fix verified by hand' },
      }),
    ).promoteModel;
    expect(forced).toMatchObject({ version: rejected.version, status: 'ACTIVE', gate: { passed: false } });
    const [event] = await t.dataSource.query(`SELECT payload FROM events WHERE type = 'model.promoted' ORDER BY id DESC LIMIT 1`);
    expect(event.payload.reason).toBe('forced past the gate before SHADOW: label fix verified by hand');
    // The audit log keeps the forced promotion, its reason among the variables (written as the response is sent).
    const forcedAudit = async () =>
      (await t.dataSource.query(`SELECT variables, outcome FROM audit_log WHERE operation = 'promoteModel' AND outcome = 'OK'`)) as {
        variables: unknown;
      }[];
    const deadline = Date.now() + 5_000;
    while ((await forcedAudit()).length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(JSON.stringify((await forcedAudit())[0].variables)).toContain('label fix verified by hand');
  });
});
