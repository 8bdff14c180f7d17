import 'reflect-metadata';
import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { createPubSub } from '@graphql-yoga/subscription';
import { buildSchema } from 'type-graphql';
import { authChecker } from '../resolvers/auth-checker';
import { resolvers } from '../resolvers';

let built: Promise<GraphQLSchema> | undefined;

/** The executable schema (built once per process). */
export function kybernetSchema(): Promise<GraphQLSchema> {
  // Every subscription reads the event log through its own `subscribe`; type-graphql insists on a pubSub all the same.
  built ??= buildSchema({ resolvers, authChecker, validate: false, pubSub: createPubSub() });
  return built;
}

/** The SDL committed as src/schema/schema.graphql, for front-ends and codegen. */
export async function printKybernetSchema(): Promise<string> {
  return `${printSchema(lexicographicSortSchema(await kybernetSchema()))}\n`;
}
