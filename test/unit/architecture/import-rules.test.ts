/**
 * The import rules of the layout (.dependency-cruiser.cjs, README "How it is built") hold for src/,
 * and the check is not toothless: a small tree with one wrong import of each kind fails every rule.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';

const root = resolve(__dirname, '../../..');
const depcruise = join(root, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');

interface Violation {
  rule: { name: string };
  from: string;
  to: string;
}

/** dependency-cruiser over `cwd`'s src/ with the project's rules; the violations it reports. */
async function violationsIn(cwd: string): Promise<Violation[]> {
  const run = promisify(execFile)(
    process.execPath,
    [depcruise, 'src', '--config', join(root, '.dependency-cruiser.cjs'), '--output-type', 'json'],
    {
      cwd,
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  // It exits non-zero when it finds violations; the JSON report is on stdout either way.
  const { stdout } = await run.catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }));
  return (JSON.parse(stdout) as { summary: { violations: Violation[] } }).summary.violations;
}

it('src/ keeps every import rule', async () => {
  const violations = await violationsIn(root);
  expect(violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`)).toEqual([]);
}, 120_000);

describe('a tree with wrong imports', () => {
  let tree: string;
  const files: Record<string, string> = {
    'src/lib/errors.ts': "import { a } from './ids';\nexport const e = () => a;\n",
    'src/lib/ids.ts': "import { e } from './errors';\nexport const a = () => e;\n",
    'src/platform/jobs/jobs.service.ts': "import { r } from '../../registry/registry.service';\nexport const j = r;\n",
    'src/registry/registry.service.ts': 'export const r = 1;\n',
    'src/serving/serving.service.ts': "import { m } from '../market/bars.service';\nexport const s = m;\n",
    'src/market/bars.service.ts': 'export const m = 1;\n',
    'src/lib/bars.ts':
      "import { s } from '../serving/serving.service';\nimport { readFileSync } from 'node:fs';\nexport const b = [s, readFileSync];\n",
    'src/trading/trade-math.ts': "import { DataSource } from 'typeorm';\nexport const t = DataSource;\n",
    'src/trading/trades.service.ts': "import { Field } from 'type-graphql';\nexport const f = Field;\n",
    'src/trading/trade.resolver.ts': "import { Repository } from 'typeorm';\nexport const x = Repository;\n",
    'src/plugins/lightgbm/index.ts': "import { x } from '../xgboost/index';\nexport const l = x;\n",
    'src/plugins/xgboost/index.ts': 'export const x = 1;\n',
    'src/schema/enums.ts': "import type { Services } from '../server/app';\nexport type E = Services;\n",
    'src/server/app.ts': 'export interface Services {\n  n: number;\n}\n',
  };

  beforeAll(() => {
    tree = mkdtempSync(join(tmpdir(), 'kybernet-import-rules-'));
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(tree, path)), { recursive: true });
      writeFileSync(join(tree, path), text);
    }
    copyFileSync(join(root, 'tsconfig.json'), join(tree, 'tsconfig.json'));
    symlinkSync(join(root, 'node_modules'), join(tree, 'node_modules'));
  });
  afterAll(() => rmSync(tree, { recursive: true, force: true }));

  it('fails each rule it breaks, naming the file and the import', async () => {
    const found = (await violationsIn(tree)).map(
      (v) => `${v.rule.name}: ${v.from} → ${v.to.replace(/^.*node_modules\/([^/]+)\/.*$/, '$1')}`,
    );
    expect(found.sort()).toEqual(
      [
        'capability-order-platform: src/platform/jobs/jobs.service.ts → src/registry/registry.service.ts',
        'schema-context-knows-only-the-container-type: src/schema/enums.ts → src/server/app.ts',
        'capability-order-serving: src/serving/serving.service.ts → src/market/bars.service.ts',
        'shared-parts-stay-below-rooms: src/lib/bars.ts → src/serving/serving.service.ts',
        'pure-files-do-no-io: src/lib/bars.ts → src/serving/serving.service.ts',
        'no-circular: src/lib/errors.ts → src/lib/ids.ts',
        'pure-files-do-no-io: src/lib/bars.ts → fs',
        'pure-files-do-no-io: src/trading/trade-math.ts → typeorm',
        'type-graphql-only-in-the-graphql-layer: src/trading/trades.service.ts → type-graphql',
        'resolvers-never-touch-typeorm: src/trading/trade.resolver.ts → typeorm',
        'plugins-import-only-the-contract-base-onnx-and-lib: src/plugins/lightgbm/index.ts → src/plugins/xgboost/index.ts',
      ].sort(),
    );
  }, 120_000);
});
