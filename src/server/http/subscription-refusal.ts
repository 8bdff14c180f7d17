/**
 * A subscription sent over HTTP is refused before it runs, saying where subscriptions go: graphql-ws
 * on the same path. (Run over HTTP, Apollo would resolve it as a query, whose subscription resolvers
 * return no value, and answer INTERNAL_SERVER_ERROR.)
 */
import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError } from 'graphql';
import type { Context } from '../../schema/context';

export function subscriptionRefusalPlugin(): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, request }) {
          if (operation?.operation !== 'subscription') return;
          const url = request.http ? `ws://${request.http.headers.get('host') ?? 'localhost'}/graphql` : 'ws://…/graphql';
          throw new GraphQLError(
            `subscriptions run over graphql-ws (the graphql-transport-ws protocol) at ${url}, not over HTTP; connect a graphql-ws client there, or run \`kybernet subscribe '<document>'\``,
            { extensions: { code: 'BAD_USER_INPUT', reason: 'SUBSCRIPTION_OVER_HTTP', http: { status: 400 } } },
          );
        },
      };
    },
  };
}
