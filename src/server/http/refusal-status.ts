/**
 * The HTTP status of a GraphQL answer that refused the request outright (no data): 401 when the key
 * was refused (UNAUTHENTICATED), 403 when its role was not enough (every error FORBIDDEN). A
 * partial answer keeps 200, as GraphQL over HTTP has it.
 */
import type { ApolloServerPlugin } from '@apollo/server';
import type { Context } from '../../schema/context';

function answeredAnything(data: Record<string, unknown> | null | undefined): boolean {
  return data != null && Object.values(data).some((value) => value !== null);
}

export function refusalStatusPlugin(): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response }) {
          if (response.body.kind !== 'single') return;
          const { data, errors } = response.body.singleResult;
          if (!errors?.length || answeredAnything(data)) return;
          const codes = errors.map((error) => error.extensions?.code);
          if (codes.includes('UNAUTHENTICATED')) response.http.status = 401;
          else if (codes.every((code) => code === 'FORBIDDEN')) response.http.status = 403;
        },
      };
    },
  };
}
