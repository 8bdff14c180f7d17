/**
 * Writes test/generated/graphql.ts: a typed document for every operation in test/operations/*.graphql,
 * generated from the committed schema (src/schema/schema.graphql) by GraphQL Code Generator's core and
 * its typescript-operations and typed-document-node plugins (run by `npm run codegen`, part of `npm test`).
 * The core is driven directly, not through @graphql-codegen/cli: the CLI's loaders for remote schemas
 * (URLs, GitHub, Apollo Studio) pull in fetch libraries that require Node 22, and nothing here is remote.
 */
import { codegen } from '@graphql-codegen/core';
import * as typedDocumentNode from '@graphql-codegen/typed-document-node';
import * as typescriptOperations from '@graphql-codegen/typescript-operations';
import { buildSchema, parse } from 'graphql';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const root = resolve(__dirname, '..');
const schemaFile = join(root, 'src/schema/schema.graphql');
const operationsDir = join(root, 'test/operations');
const output = join(root, 'test/generated/graphql.ts');

async function main(): Promise<void> {
  const schemaText = readFileSync(schemaFile, 'utf8');
  const documents = readdirSync(operationsDir)
    .filter((name) => name.endsWith('.graphql'))
    .sort()
    .map((name) => {
      const location = relative(root, join(operationsDir, name));
      return { location, document: parse(readFileSync(join(operationsDir, name), 'utf8')) };
    });
  const code = await codegen({
    filename: output,
    schema: parse(schemaText),
    schemaAst: buildSchema(schemaText),
    documents,
    plugins: [{ typescriptOperations: {} }, { typedDocumentNode: {} }],
    pluginMap: { typescriptOperations, typedDocumentNode },
    config: {
      scalars: { DateTimeISO: 'string', JSON: 'unknown', JSONObject: 'Record<string, unknown>' },
      enumsAsTypes: true,
      avoidOptionals: { field: true, inputValue: false },
    },
  });
  mkdirSync(resolve(output, '..'), { recursive: true });
  writeFileSync(output, code);
  console.log(`codegen: wrote ${relative(root, output)} (${documents.length} operation files)`);
}

main().catch((error: unknown) => {
  console.error(`codegen: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
