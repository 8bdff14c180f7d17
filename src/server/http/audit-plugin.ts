/** Writes every mutation by an operator or admin key to the audit log, with its outcome (OK or the first error's code). */
import type { ApolloServerPlugin } from '@apollo/server';
import { Kind, type OperationDefinitionNode } from 'graphql';
import type { Context } from '../../schema/context';

export function auditPlugin(): ApolloServerPlugin<Context> {
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
