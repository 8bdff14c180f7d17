/**
 * The one place errors become what a client reads, over HTTP and graphql-ws alike: domain errors
 * (KybernetError) give `extensions.code` from their code, `extensions.reason` and their details
 * (e.g. `field`, `limit`) alongside. Apollo's request-level codes (parse and validation failures, a
 * bad HTTP request) count as BAD_USER_INPUT, their own code kept as `reason`. Unknown errors are
 * logged and reported without internals.
 *
 * Unless debugging is on (KYBERNET_DEBUG_ERRORS=true), no response carries a stack trace, an
 * internal error's message or a path on the server's file system.
 */
import { unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { KybernetError } from '../lib/errors';

const REQUEST_ERROR_CODES = new Set(['GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED', 'BAD_REQUEST', 'OPERATION_RESOLUTION_FAILURE']);
const INTERNAL_MESSAGE = 'internal server error; the server log has the details';
/** An absolute path of two or more segments, where a word starts (not inside a URL or a relative path). */
const SERVER_PATH = /(?<=^|[\s'"`(=:,[])\/(?:[\w.@+~-]+\/)+[\w.@+~-]*/g;

export interface ErrorFormatOptions {
  /** Where internal errors are reported in full. */
  log: (message: string) => void;
  /** KYBERNET_DEBUG_ERRORS: keep stack traces, internal messages and paths in responses. */
  debug: boolean;
}

export function toGraphQLError(error: KybernetError): GraphQLError {
  return new GraphQLError(error.message, {
    extensions: { code: error.code, reason: error.reason, ...(error.details ?? {}) },
  });
}

/** Absolute file-system paths in `message` replaced by `<path>` (unless debugging). */
export function withoutServerPaths(message: string, debug = false): string {
  return debug ? message : message.replace(SERVER_PATH, '<path>');
}

/** An error's details with absolute paths in its string values replaced (unless debugging). */
function detailsWithoutServerPaths(details: Record<string, unknown> | undefined, debug: boolean): Record<string, unknown> {
  if (!details || debug) return details ?? {};
  return Object.fromEntries(
    Object.entries(details).map(([name, value]) => [name, typeof value === 'string' ? withoutServerPaths(value) : value]),
  );
}

/** A domain error as a client reads it; `base` carries the GraphQL locations and path where there are some. */
export function formatKybernetError(
  error: KybernetError,
  debug: boolean,
  base: Pick<GraphQLFormattedError, 'locations' | 'path'> = {},
): GraphQLFormattedError {
  return {
    message: withoutServerPaths(error.message, debug),
    ...(base.locations ? { locations: base.locations } : {}),
    ...(base.path ? { path: base.path } : {}),
    extensions: {
      code: error.code,
      reason: error.reason,
      ...detailsWithoutServerPaths(error.details, debug),
      ...(debug && error.stack ? { stacktrace: error.stack.split('\n') } : {}),
    },
  };
}

/** The domain error behind `error`: thrown by a resolver (Apollo wraps it), or carried as a GraphQLError's originalError. */
function domainErrorOf(error: unknown): KybernetError | undefined {
  const unwrapped = unwrapResolverError(error);
  if (unwrapped instanceof KybernetError) return unwrapped;
  if (unwrapped instanceof GraphQLError && unwrapped.originalError instanceof KybernetError) return unwrapped.originalError;
  return undefined;
}

export function formatError(formatted: GraphQLFormattedError, error: unknown, options: ErrorFormatOptions): GraphQLFormattedError {
  const domain = domainErrorOf(error);
  if (domain) return formatKybernetError(domain, options.debug, formatted);
  const { stacktrace, ...extensions } = formatted.extensions ?? {};
  const code = extensions.code;
  const visible = {
    ...formatted,
    message: withoutServerPaths(formatted.message, options.debug),
    extensions: { ...extensions, ...(options.debug && stacktrace ? { stacktrace } : {}) },
  };
  if (typeof code === 'string' && REQUEST_ERROR_CODES.has(code)) {
    return { ...visible, extensions: { ...visible.extensions, code: 'BAD_USER_INPUT', reason: extensions.reason ?? code } };
  }
  if (typeof code === 'string' && code !== 'INTERNAL_SERVER_ERROR')
    return { ...visible, extensions: { ...visible.extensions, reason: extensions.reason ?? code } };
  const original = unwrapResolverError(error);
  const detail = original instanceof Error ? (original.stack ?? original.message) : String(original);
  options.log(`internal error: ${detail}`);
  return {
    message: options.debug && original instanceof Error ? original.message : INTERNAL_MESSAGE,
    locations: formatted.locations,
    path: formatted.path,
    extensions: { code: 'INTERNAL_SERVER_ERROR', ...(options.debug ? { stacktrace: detail.split('\n') } : {}) },
  };
}
