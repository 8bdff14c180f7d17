/**
 * Subscriptions (and any other operation) over graphql-ws on the HTTP server's /graphql path,
 * answering as HTTP does: the same authentication, parse and validation rules, and errors formatted
 * by the same formatError, so that a bad input gets the same `extensions.code`, `reason`, `field`
 * and message over both transports.
 *
 * Connection: the API key is the `authorization` connection parameter ("Bearer <key>"). A missing,
 * malformed, unknown or revoked key closes the socket with 4401 and the reason (graphql-ws clients
 * do not retry 4401); a key revoked while connected closes its connections with 4403.
 * Each operation authenticates again (a key revoked since the connection opened is refused).
 */
import {
  getOperationAST,
  GraphQLError,
  parse,
  specifiedRules,
  validate,
  type DocumentNode,
  type GraphQLSchema,
  type ParseOptions,
  type ValidationRule,
} from 'graphql';
import { CloseCode, type Disposable } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import type { Server } from 'node:http';
import { WebSocketServer } from 'ws';
import type { Env } from '../../config/env';
import { KybernetError } from '../../lib/errors';
import { createContext } from '../request-context';
import { formatError, type ErrorFormatOptions } from '../../schema/errors';
import { KEY_REVOKED_CLOSE, type Principal } from '../../platform/access/api-keys.service';
import type { Services } from '../container';
import { checkQueryTokens } from './query-limits';
import type { KeyRateLimiter } from './rate-limit';
import type { SubscriptionCounter } from './subscription-limits';

export interface GraphQLWsOptions {
  schema: GraphQLSchema;
  services: Services;
  errors: ErrorFormatOptions;
  parseOptions: ParseOptions;
  /** Rules beyond graphql-js's own (which always apply), as Apollo's validationRules. */
  validationRules: readonly ValidationRule[];
  /** The largest message a client may send (ws closes the socket with 1009 above it). */
  maxMessageBytes: number;
  /** Per-key limits shared with HTTP (rate), and of this transport (open subscriptions); the token count of a document. */
  limits: { env: Env; rateLimiter: KeyRateLimiter; subscriptions: SubscriptionCounter };
}

const MISSING_KEY = 'expects an API key as the connection parameter authorization ("Bearer <key>"), but got none';

function authorizationOf(params: Readonly<Record<string, unknown>> | undefined): string | undefined {
  const value = params?.authorization ?? params?.Authorization;
  return typeof value === 'string' ? value : undefined;
}

/** A parse, validation or variables error as Apollo reports it over HTTP: BAD_USER_INPUT, with the stage as reason. */
function requestError(error: GraphQLError, reason?: string): GraphQLError {
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    originalError: error.originalError,
    extensions: {
      ...error.extensions,
      code: 'BAD_USER_INPUT',
      ...(reason || error.extensions.reason ? { reason: error.extensions.reason ?? reason } : {}),
    },
  });
}

function toGraphQLErrors(error: unknown): GraphQLError[] {
  if (error instanceof KybernetError) return [new GraphQLError(error.message, { originalError: error })];
  throw error;
}

export interface GraphQLWsServer extends Disposable {
  /** Cuts off every client at once: the end of a shutdown's grace, for clients that did not answer the close (1001). */
  terminateClients(): void;
}

export function startGraphQLWs(httpServer: Server, options: GraphQLWsOptions): GraphQLWsServer {
  const { schema, services } = options;
  const format = (error: GraphQLError) => formatError(error.toJSON(), error, options.errors);
  const wsServer = new WebSocketServer({ server: httpServer, path: '/graphql', maxPayload: options.maxMessageBytes });
  const { limits } = options;
  /** The subscriptions each connection holds open (operation id → key), released on complete and on close. */
  const held = new WeakMap<object, Map<string, string>>();
  const release = (ctx: object, id?: string) => {
    const ofConnection = held.get(ctx);
    for (const [operation, keyId] of ofConnection ?? []) {
      if (id !== undefined && operation !== id) continue;
      limits.subscriptions.close(keyId, `${connectionIds.get(ctx)}:${operation}`);
      ofConnection!.delete(operation);
    }
  };
  const connectionIds = new WeakMap<object, number>();
  let connections = 0;
  const disposable = useServer<Record<string, unknown>>(
    {
      schema,
      isProd: !options.errors.debug,
      onConnect: async (ctx) => {
        const { socket } = ctx.extra;
        const authorization = authorizationOf(ctx.connectionParams);
        let principal: Principal;
        try {
          if (!authorization) throw new KybernetError('UNAUTHENTICATED', MISSING_KEY);
          principal = await services.apiKeys.authenticate(authorization);
        } catch (error) {
          socket.close(CloseCode.Unauthorized, error instanceof KybernetError ? error.message : 'authentication failed');
          if (!(error instanceof KybernetError))
            options.errors.log(`graphql-ws authentication: ${(error as Error).stack ?? String(error)}`);
          return false;
        }
        // Closed with 4403 as soon as the key is revoked, from any process.
        const untrack = services.apiKeys.trackConnection(principal.keyId, () =>
          socket.close(KEY_REVOKED_CLOSE.code, KEY_REVOKED_CLOSE.reason),
        );
        if (socket.readyState >= socket.CLOSING) untrack();
        else socket.once('close', untrack);
        return true;
      },
      onSubscribe: async (ctx, id, payload) => {
        let principal: Principal;
        try {
          principal = await services.apiKeys.authenticate(authorizationOf(ctx.connectionParams));
        } catch (error) {
          return toGraphQLErrors(error);
        }
        let document: DocumentNode;
        try {
          await limits.rateLimiter.take(principal.keyId);
          checkQueryTokens(payload.query, limits.env);
        } catch (error) {
          return toGraphQLErrors(error);
        }
        try {
          document = parse(payload.query, options.parseOptions);
        } catch (error) {
          if (error instanceof GraphQLError) return [requestError(error, 'GRAPHQL_PARSE_FAILED')];
          throw error;
        }
        const invalid = validate(schema, document, [...specifiedRules, ...options.validationRules]);
        if (invalid.length > 0) return invalid.map((error) => requestError(error, 'GRAPHQL_VALIDATION_FAILED'));
        if (getOperationAST(document, payload.operationName)?.operation === 'subscription') {
          if (!connectionIds.has(ctx)) connectionIds.set(ctx, ++connections);
          try {
            limits.subscriptions.add(principal.keyId, `${connectionIds.get(ctx)}:${id}`);
          } catch (error) {
            return toGraphQLErrors(error);
          }
          const ofConnection = held.get(ctx) ?? new Map<string, string>();
          ofConnection.set(id, principal.keyId);
          held.set(ctx, ofConnection);
        }
        return {
          schema,
          document,
          operationName: payload.operationName,
          variableValues: payload.variables,
          contextValue: createContext(services, principal),
        };
      },
      // Errors of the request itself (variables that do not coerce, no operation to run) have no
      // path; Apollo reports them as BAD_USER_INPUT over HTTP, and so do we.
      onNext: (_ctx, _id, _payload, _args, result) => {
        if (!result.errors) return;
        return {
          ...result,
          errors: result.errors.map((error) =>
            format(
              !error.path && error.extensions.code === undefined && !(error.originalError instanceof KybernetError)
                ? requestError(error)
                : error,
            ),
          ),
        };
      },
      onError: (_ctx, _id, _payload, errors) => errors.map(format),
      onComplete: (ctx, id) => release(ctx, id),
      onClose: (ctx) => release(ctx),
    },
    wsServer,
  );
  return {
    dispose: () => disposable.dispose(),
    terminateClients: () => {
      for (const client of wsServer.clients) client.terminate();
    },
  };
}
