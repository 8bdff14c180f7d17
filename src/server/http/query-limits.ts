/**
 * Limits on the shape of a GraphQL document, the same over HTTP and graphql-ws: nesting depth,
 * aliases and static cost (graphql-armor's validation rules), and lexical tokens (counted with
 * graphql-js's lexer before anything parses the document). Each refusal is a LimitExceededError
 * naming the limit and its setting (BAD_USER_INPUT, 400).
 */
import { costLimitRule } from '@escape.tech/graphql-armor-cost-limit';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { GraphQLError, Lexer, Source, TokenKind, type ValidationContext, type ValidationRule } from 'graphql';
import type { Env } from '../../config/env';
import { LimitExceededError } from './limit-error';

type Reject = (context: ValidationContext | null, error: GraphQLError) => void;

/** Reports the limit as our coded error (graphql-armor's own says "Syntax Error: …" and names no setting). */
function reportAs(what: string, reason: string, limit: number, setting: string): Reject {
  return (context, rejected) => {
    const found = /found (\d+(?:\.\d+)?)/.exec(rejected.message)?.[1];
    const error = new LimitExceededError(
      `expects ${what} of at most ${limit} (${setting}), but got ${found ? Math.round(Number(found)) : 'more'}`,
      400,
      reason,
      { limit, setting },
    );
    context?.reportError(new GraphQLError(error.message, { originalError: error }));
  };
}

export function queryLimitRules(env: Env): ValidationRule[] {
  const common = { exposeLimits: true, propagateOnRejection: false } as const;
  return [
    maxDepthRule({
      ...common,
      n: env.KYBERNET_MAX_QUERY_DEPTH,
      ignoreIntrospection: true,
      onReject: [reportAs('a query depth', 'QUERY_TOO_DEEP', env.KYBERNET_MAX_QUERY_DEPTH, 'KYBERNET_MAX_QUERY_DEPTH')],
    }),
    maxAliasesRule({
      ...common,
      n: env.KYBERNET_MAX_QUERY_ALIASES,
      onReject: [reportAs('aliases', 'QUERY_TOO_MANY_ALIASES', env.KYBERNET_MAX_QUERY_ALIASES, 'KYBERNET_MAX_QUERY_ALIASES')],
    }),
    costLimitRule({
      ...common,
      maxCost: env.KYBERNET_MAX_QUERY_COST,
      ignoreIntrospection: true,
      onReject: [reportAs('a query cost', 'QUERY_TOO_COSTLY', env.KYBERNET_MAX_QUERY_COST, 'KYBERNET_MAX_QUERY_COST')],
    }),
  ];
}

/** Refuses a document of more than KYBERNET_MAX_QUERY_TOKENS tokens, lexing no further than the limit. */
export function checkQueryTokens(query: string, env: Env): void {
  const limit = env.KYBERNET_MAX_QUERY_TOKENS;
  const lexer = new Lexer(new Source(query));
  let tokens = 0;
  try {
    while (lexer.advance().kind !== TokenKind.EOF) {
      if (++tokens > limit) {
        throw new LimitExceededError(
          `expects a document of at most ${limit} tokens (KYBERNET_MAX_QUERY_TOKENS; pass large inputs as variables), but got more`,
          400,
          'QUERY_TOO_MANY_TOKENS',
          {
            limit,
            setting: 'KYBERNET_MAX_QUERY_TOKENS',
          },
        );
      }
    }
  } catch (error) {
    // A lexical error is the parser's to report, with its position.
    if (error instanceof LimitExceededError) throw error;
  }
}
