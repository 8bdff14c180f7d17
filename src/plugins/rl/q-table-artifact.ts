/**
 * The 'q-table-json' artifact: one file, `q-table.json`, holding the whole `QTable` (state and action
 * spaces, sparse Q-values and visit counts of visited states, ε, hyperparameters, trades seen).
 * The artifact's signature is the predictor's: one input per state dimension (the value's index in
 * its enum), one output per action (its Q-value).
 */
import { z } from 'zod';
import { InvalidInputError } from '../../lib/errors';
import type { ModelArtifact } from '../contract';
import type { QLearningParams } from './q-learning-params';
import { Q_TABLE_FORMAT, stateKey, stateFromKey, type QAgentDefinition, type QTable } from './q-table';

export const Q_TABLE_FILE = 'q-table.json';

export function tableToArtifact(table: QTable): ModelArtifact {
  return {
    format: Q_TABLE_FORMAT,
    files: { [Q_TABLE_FILE]: new TextEncoder().encode(JSON.stringify(table)) },
    signature: {
      task: 'policy',
      inputWidth: table.stateSpace.length,
      outputs: [...table.actions],
      allowsMissing: false,
    },
    featureNames: table.stateSpace.map((d) => d.name),
  };
}

/**
 * Reads and checks a 'q-table-json' artifact written for `definition`: the JSON shape, Q-value and
 * visit arrays one per action, every stored state inside the state space, hyperparameters valid
 * under the family's schema, and spaces equal to the agent's own (a table of another agent is refused).
 */
export function tableFromArtifact<P extends QLearningParams>(
  artifact: ModelArtifact,
  definition: QAgentDefinition,
  hyperparameters: z.ZodType<P>,
): QTable<P> {
  if (artifact.format !== Q_TABLE_FORMAT) {
    throw new InvalidInputError(`artifact.format expects "${Q_TABLE_FORMAT}", but got ${JSON.stringify(artifact.format)}`, {
      field: 'artifact.format',
    });
  }
  const bytes = artifact.files[Q_TABLE_FILE];
  if (!bytes) {
    throw new InvalidInputError(
      `artifact.files expects "${Q_TABLE_FILE}", but got ${Object.keys(artifact.files).join(', ') || 'no files'}`,
      { field: `artifact.files.${Q_TABLE_FILE}` },
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    throw new InvalidInputError(`artifact ${Q_TABLE_FILE} expects JSON, but got a parse error: ${(error as Error).message}`, {
      field: `artifact.files.${Q_TABLE_FILE}`,
    });
  }
  const parsed = tableSchema(hyperparameters).safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = `${Q_TABLE_FILE}.${issue.path.join('.')}`;
    throw new InvalidInputError(`${field} expects a valid Q-table field, but got: ${issue.message}`, { field });
  }
  const table = parsed.data as QTable<P>;
  requireSameSpaces(table, definition);
  for (const [key, entry] of Object.entries(table.entries)) {
    const field = `${Q_TABLE_FILE}.entries["${key}"]`;
    stateKey(table.stateSpace, stateFromKey(table.stateSpace, key), field);
    if (entry.q.length !== table.actions.length || entry.visits.length !== table.actions.length) {
      throw new InvalidInputError(
        `${field} expects ${table.actions.length} Q-values and visit counts (one per action), but got ${entry.q.length} and ${entry.visits.length}`,
        { field },
      );
    }
  }
  return table;
}

function tableSchema<P>(hyperparameters: z.ZodType<P>) {
  return z.object({
    format: z.literal(Q_TABLE_FORMAT),
    formatVersion: z.literal(1),
    agent: z.string(),
    stateSpace: z.array(z.object({ name: z.string().min(1), values: z.array(z.string().min(1)).min(1) })).min(1),
    actions: z.array(z.string().min(1)).min(1),
    hyperparameters,
    epsilon: z.number().min(0).max(1),
    tradesSeen: z.number().int().min(0),
    entries: z.record(z.string(), z.object({ q: z.array(z.number()), visits: z.array(z.number().int().min(0)) })),
  });
}

function requireSameSpaces(table: QTable, definition: QAgentDefinition): void {
  const describe = (t: Pick<QAgentDefinition, 'id' | 'stateSpace' | 'actions'>) =>
    JSON.stringify([t.id, t.stateSpace.map((d) => [d.name, d.values]), t.actions]);
  const stored = describe({ id: table.agent, stateSpace: table.stateSpace, actions: table.actions });
  const expected = describe(definition);
  if (stored !== expected) {
    throw new InvalidInputError(
      `${Q_TABLE_FILE} expects the agent ${definition.id} with its state and action spaces, but got a table of ${table.agent} whose spaces differ`,
      { field: Q_TABLE_FILE },
    );
  }
}
