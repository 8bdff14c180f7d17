/**
 * The one place domain errors become GraphQL errors: `extensions.code` from the error's code,
 * `extensions.reason` and the details (e.g. `field`) alongside. Parse and validation errors count as
 * BAD_USER_INPUT (their graphql-js code kept as `reason`). Unknown errors are logged and reported
 * without internals.
 */
import { unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { KybernetError } from '../lib/errors';

const REQUEST_ERROR_CODES = new Set(['GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED']);

export function toGraphQLError(error: KybernetError): GraphQLError {
  return new GraphQLError(error.message, {
    extensions: { code: error.code, reason: error.reason, ...(error.details ?? {}) },
  });
}

export function formatError(formatted: GraphQLFormattedError, error: unknown, log: (message: string) => void): GraphQLFormattedError {
  const original = unwrapResolverError(error);
  if (original instanceof KybernetError) {
    return { ...formatted, message: original.message, extensions: { code: original.code, reason: original.reason, ...(original.details ?? {}) } };
  }
  const code = formatted.extensions?.code;
  if (typeof code === 'string' && REQUEST_ERROR_CODES.has(code)) {
    return { ...formatted, extensions: { ...formatted.extensions, code: 'BAD_USER_INPUT', reason: code } };
  }
  if (typeof code === 'string' && code !== 'INTERNAL_SERVER_ERROR') return formatted;
  log(`internal error: ${original instanceof Error ? (original.stack ?? original.message) : String(original)}`);
  return { message: 'internal server error; the server log has the details', locations: formatted.locations, path: formatted.path, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
}
