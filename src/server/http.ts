/**
 * The API process's front door: Apollo Server (HTTP POST /graphql) and graphql-ws (subscriptions on
 * the same path) on one HTTP server. Every request is authenticated by API key from its headers before
 * its body is read (bodies are then bounded per role);
 * mutations by operators and admins are written to the audit log. A browser's GET /graphql gets the
 * GraphQL IDE (built into dist/web); /health and /ready are the probes. The parts live in ./http/:
 * reading bodies within bounds, refusals before GraphQL runs, graphql-ws, the IDE, probes, plugins.
 */
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { expressMiddleware } from '@as-integrations/express5';
import cors from 'cors';
import express, { type NextFunction, type Request, type Response } from 'express';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig, type Env } from '../config/env';
import { KybernetError } from '../lib/errors';
import type { Context } from '../schema/context';
import { createContext } from './request-context';
import { formatError, toGraphQLError, type ErrorFormatOptions } from '../schema/errors';
import { kybernetSchema } from './schema';
import type { Principal } from '../platform/access/api-keys.service';
import type { Services } from './container';
import { auditPlugin } from './http/audit-plugin';
import { startGraphQLWs } from './http/graphql-ws';
import { ideRoutes } from './http/ide';
import { LimitExceededError } from './http/limit-error';
import { healthProbe, readyProbe } from './http/probes';
import { checkQueryTokens, queryLimitRules } from './http/query-limits';
import { keyRateLimiter, type KeyRateLimiter } from './http/rate-limit';
import { SubscriptionCounter } from './http/subscription-limits';
import { bodyBoundsFor } from './http/body-limits';
import { checkJsonContentType, readJsonBody } from './http/read-body';
import { refusalStatusPlugin } from './http/refusal-status';
import { sendRefusal } from './http/respond';
import { subscriptionRefusalPlugin } from './http/subscription-refusal';

export interface HttpServer {
  url: string;
  wsUrl: string;
  port: number;
  /**
   * Stops accepting, lets in-flight requests finish and asks graphql-ws clients to go (1001); after
   * `graceMs` whatever is still open (a slow request, a client that does not answer) is cut off.
   */
  close(graceMs?: number): Promise<void>;
}

const CLOSE_GRACE_MS = 5_000;

/** What `serve` says when its port is taken (checked before anything starts, and again at listen). */
export const portInUse = (port: number) => `port ${port} is in use (another kybernet serve?); set PORT`;

export interface HttpServerOptions {
  port: number;
  host?: string;
  log?: (message: string) => void;
  /** The process's environment settings (limits, KYBERNET_DEBUG_ERRORS); read from process.env when absent. */
  env?: Env;
}

const WS_MAX_MESSAGE_BYTES = 1024 * 1024;

async function contextFor(services: Services, authorization: string | undefined): Promise<Context> {
  try {
    return createContext(services, await services.apiKeys.authenticate(authorization));
  } catch (error) {
    if (error instanceof KybernetError) {
      const graphQLError = toGraphQLError(error);
      graphQLError.extensions.http = { status: 401 };
      throw graphQLError;
    }
    throw error;
  }
}

/**
 * Checks a POST's key from its headers before a byte of its body is read: a request without a valid
 * key is answered 401 and its connection closed, its body never read or parsed (whatever its size).
 * The principal is kept for the body's limit and for the GraphQL context.
 */
function authenticateFirst(services: Services, rateLimiter: KeyRateLimiter, errors: ErrorFormatOptions) {
  return async (request: Request, response: Response, next: NextFunction) => {
    if (request.method !== 'POST') return next();
    let principal: Principal;
    try {
      principal = response.locals.principal = await services.apiKeys.authenticate(request.headers.authorization);
    } catch (error) {
      if (!(error instanceof KybernetError)) return next(error);
      return sendRefusal(response, 401, error, { debug: errors.debug, close: !request.complete });
    }
    try {
      await rateLimiter.take(principal.keyId);
    } catch (error) {
      if (!(error instanceof LimitExceededError)) return next(error);
      return sendRefusal(response, 429, error, {
        debug: errors.debug,
        close: !request.complete,
        headers: { 'retry-after': String(error.details?.retryAfterSeconds ?? 1) },
      });
    }
    next();
  };
}

/** Parses a POST's JSON body within its role's bounds into `request.body`, or answers the refusal (JSON, coded) and closes. */
function jsonBody(env: Env, errors: ErrorFormatOptions) {
  return async (request: Request, response: Response, next: NextFunction) => {
    if (request.method !== 'POST') {
      request.body = undefined;
      return next();
    }
    try {
      checkJsonContentType(request);
      request.body = await readJsonBody(request, bodyBoundsFor((response.locals.principal as Principal).role, env));
      const query = (request.body as { query?: unknown } | null)?.query;
      // Before anything parses the document (Apollo, or its cache lookup).
      if (typeof query === 'string') checkQueryTokens(query, env);
    } catch (error) {
      if (!(error instanceof KybernetError)) return next(error);
      return sendRefusal(response, error instanceof LimitExceededError ? error.status : 400, error, {
        debug: errors.debug,
        close: !request.complete,
      });
    }
    next();
  };
}

export async function startHttpServer(services: Services, options: HttpServerOptions): Promise<HttpServer> {
  const log = options.log ?? ((message: string) => console.error(message));
  const env = options.env ?? loadConfig().env;
  const errors: ErrorFormatOptions = { log, debug: env.KYBERNET_DEBUG_ERRORS };
  const schema = await kybernetSchema();
  const app = express();
  const httpServer: Server = createServer(app);
  httpServer.keepAliveTimeout = env.KYBERNET_HTTP_KEEP_ALIVE_SECONDS * 1000;
  // Kept above keepAliveTimeout, so that the headers timer is never the one that closes a kept-alive connection.
  httpServer.headersTimeout = httpServer.keepAliveTimeout + 1000;
  const rateLimiter = keyRateLimiter(env);
  const validationRules = queryLimitRules(env);
  const ws = startGraphQLWs(httpServer, {
    schema,
    services,
    errors,
    parseOptions: {},
    validationRules,
    maxMessageBytes: WS_MAX_MESSAGE_BYTES,
    limits: { env, rateLimiter, subscriptions: new SubscriptionCounter(env) },
  });
  const apollo = new ApolloServer<Context>({
    schema,
    // Every request is authenticated first (a POST before its body is read), so only keys introspect.
    introspection: true,
    validationRules,
    includeStacktraceInErrorResponses: errors.debug,
    formatError: (formatted, error) => formatError(formatted, error, errors),
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer, stopGracePeriodMillis: CLOSE_GRACE_MS }),
      {
        async serverWillStart() {
          return { drainServer: async () => void (await ws.dispose()) };
        },
      },
      auditPlugin(),
      refusalStatusPlugin(),
      subscriptionRefusalPlugin(),
    ],
  });
  await apollo.start();
  app.get('/health', healthProbe);
  app.get('/ready', readyProbe(services));
  const ide = ideRoutes();
  app.use('/web', ide.assets);
  app.use(
    '/graphql',
    ide.page,
    cors<cors.CorsRequest>(),
    authenticateFirst(services, rateLimiter, errors),
    jsonBody(env, errors),
    expressMiddleware(apollo, {
      context: async ({ req, res }) =>
        res.locals.principal ? createContext(services, res.locals.principal as Principal) : contextFor(services, req.headers.authorization),
    }),
  );
  try {
    await new Promise<void>((resolve, reject) => {
      httpServer.once('error', reject);
      httpServer.listen(options.port, options.host ?? '0.0.0.0', () => {
        httpServer.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    await apollo.stop();
    throw (error as NodeJS.ErrnoException).code === 'EADDRINUSE' ? new Error(portInUse(options.port)) : error;
  }
  const { port } = httpServer.address() as AddressInfo;
  const host = options.host && options.host !== '0.0.0.0' ? options.host : '127.0.0.1';
  return {
    url: `http://${host}:${port}/graphql`,
    wsUrl: `ws://${host}:${port}/graphql`,
    port,
    async close(graceMs = CLOSE_GRACE_MS) {
      const cutOff = setTimeout(() => {
        ws.terminateClients();
        httpServer.closeAllConnections();
      }, graceMs);
      try {
        await apollo.stop();
      } finally {
        clearTimeout(cutOff);
      }
    },
  };
}
