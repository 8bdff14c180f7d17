import 'reflect-metadata';
import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { createPubSub } from '@graphql-yoga/subscription';
import { buildSchema } from 'type-graphql';
import { authChecker } from './auth-checker';
import { resolvers } from './resolvers';
import { checkInputBounds } from '../schema/input-guard';

let built: Promise<GraphQLSchema> | undefined;

/** The executable schema (built once per process). */
export function kybernetSchema(): Promise<GraphQLSchema> {
  // Every argument is held to its bounds (input-guard.ts) before its resolver runs.
  // Every subscription reads the event log through its own `subscribe`; type-graphql insists on a pubSub all the same.
  built ??= buildSchema({ resolvers, authChecker, validateFn: checkInputBounds, pubSub: createPubSub() });
  return built;
}

/** The SDL committed as src/schema/schema.graphql, for front-ends and codegen. */
export async function printKybernetSchema(): Promise<string> {
  return `${printSchema(lexicographicSortSchema(await kybernetSchema()))}\n`;
}
