/**
 * The API process's front door: Apollo Server (HTTP POST /graphql) and graphql-ws (subscriptions on
 * the same path) on one HTTP server. Every request is authenticated by API key before it runs;
 * mutations by operators and admins are written to the audit log.
 */
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { expressMiddleware } from '@as-integrations/express5';
import cors from 'cors';
import express from 'express';
import { Kind, type OperationDefinitionNode } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { KybernetError } from '../lib/errors';
import { createLoaders, type Context } from '../resolvers/context';
import { formatError, toGraphQLError } from '../schema/errors';
import { kybernetSchema } from '../schema/build';
import { KEY_REVOKED_CLOSE } from '../services/api-keys.service';
import type { Services } from '../services/container';

export interface HttpServer {
  url: string;
  wsUrl: string;
  port: number;
  close(): Promise<void>;
}

const BODY_LIMIT = '100mb';

async function contextFor(services: Services, authorization: string | undefined): Promise<Context> {
  try {
    const principal = await services.apiKeys.authenticate(authorization);
    return { principal, services, loaders: createLoaders(services.dataSource) };
  } catch (error) {
    if (error instanceof KybernetError) {
      const graphQLError = toGraphQLError(error);
      graphQLError.extensions.http = { status: 401 };
      throw graphQLError;
    }
    throw error;
  }
}

function auditPlugin(): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ contextValue, operation, request, response }) {
          if (operation?.operation !== 'mutation' || !contextValue.services.audit.audits(contextValue.principal)) return;
          const fields = (operation as OperationDefinitionNode).selectionSet.selections
            .filter((selection) => selection.kind === Kind.FIELD)
            .map((selection) => (selection.kind === Kind.FIELD ? selection.name.value : ''))
            .join(',');
          const errors = response.body.kind === 'single' ? response.body.singleResult.errors : undefined;
          const outcome = errors?.length ? String(errors[0].extensions?.code ?? 'ERROR') : 'OK';
          await contextValue.services.audit.record(contextValue.principal, fields, request.variables ?? {}, outcome);
        },
      };
    },
  };
}

export async function startHttpServer(services: Services, options: { port: number; host?: string; log?: (message: string) => void }): Promise<HttpServer> {
  const log = options.log ?? ((message: string) => console.error(message));
  const schema = await kybernetSchema();
  const app = express();
  const httpServer: Server = createServer(app);
  const wsServer = new WebSocketServer({ server: httpServer, path: '/graphql' });
  const wsCleanup = useServer<Record<string, unknown>>(
    {
      schema,
      context: async (ctx) => {
        const authorization = ctx.connectionParams?.authorization ?? ctx.connectionParams?.Authorization;
        return contextFor(services, typeof authorization === 'string' ? authorization : undefined);
      },
      onConnect: async (ctx) => {
        const authorization = ctx.connectionParams?.authorization ?? ctx.connectionParams?.Authorization;
        try {
          const principal = await services.apiKeys.authenticate(typeof authorization === 'string' ? authorization : undefined);
          // Closed with 4403 as soon as the key is revoked, from any process.
          const { socket } = ctx.extra;
          const untrack = services.apiKeys.trackConnection(principal.keyId, () => socket.close(KEY_REVOKED_CLOSE.code, KEY_REVOKED_CLOSE.reason));
          if (socket.readyState >= socket.CLOSING) untrack();
          else socket.once('close', untrack);
          return true;
        } catch {
          return false;
        }
      },
    },
    wsServer,
  );
  const apollo = new ApolloServer<Context>({
    schema,
    introspection: true,
    formatError: (formatted, error) => formatError(formatted, error, log),
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      {
        async serverWillStart() {
          return { drainServer: async () => void (await wsCleanup.dispose()) };
        },
      },
      auditPlugin(),
    ],
  });
  await apollo.start();
  app.get('/health', (_request, response) => void response.json({ ok: true }));
  app.use(
    '/graphql',
    cors<cors.CorsRequest>(),
    express.json({ limit: BODY_LIMIT }),
    expressMiddleware(apollo, { context: async ({ req }) => contextFor(services, req.headers.authorization) }),
  );
  await new Promise<void>((resolve) => httpServer.listen(options.port, options.host ?? '0.0.0.0', resolve));
  const { port } = httpServer.address() as AddressInfo;
  const host = options.host && options.host !== '0.0.0.0' ? options.host : '127.0.0.1';
  return {
    url: `http://${host}:${port}/graphql`,
    wsUrl: `ws://${host}:${port}/graphql`,
    port,
    async close() {
      await apollo.stop();
    },
  };
}

