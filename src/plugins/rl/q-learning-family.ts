/**
 * The base for tabular Q-learning families (kind 'policy'): training from logged transitions, the
 * held-out evaluation, the 'q-table-json' artifact and its predictor. A leaf family only names its
 * agent (state and action spaces) and its hyperparameter schema.
 *
 * `train` starts from an empty table, `update` from a previous artifact; both then
 * 1. learn from the transitions before the chronological validation tail (`validationFraction`),
 *    `epochs` passes in log order;
 * 2. score that snapshot on the tail with the replay method (replay-evaluation.ts) — the metrics;
 * 3. learn from the tail too (`epochs` passes), so the returned table has seen every transition:
 *    an online agent should not forget its most recent trades to keep a hold-out. The metrics thus
 *    describe the table as it stood before the tail.
 */
import type { z } from 'zod';
import { InvalidInputError } from '../../lib/errors';
import type {
  ModelArtifact,
  ModelFamily,
  PolicyTransition,
  Predictor,
  ReferenceSummary,
  SearchSpace,
  TrainContext,
  TrainedModel,
  TrainingSet,
} from '../contract';
import { summarizeReference } from '../../lib/reference';
import { parseHyperparameters } from '../base/hyperparameters';
import { throwIfAborted, yieldToEventLoop } from '../base/training-loop';
import type { QLearningParams } from './q-learning-params';
import {
  applyOutcomes,
  createQTable,
  encodeState,
  qValuesOf,
  validateTransitions,
  withHyperparameters,
  type QAgentDefinition,
  type QTable,
} from './q-table';
import { tableFromArtifact, tableToArtifact } from './q-table-artifact';
import { evaluateReplay } from './replay-evaluation';

export interface QLearningFamilyOptions<P extends QLearningParams> {
  definition: QAgentDefinition;
  description: string;
  hyperparameters: z.ZodType<P>;
  searchSpace?: SearchSpace<P>;
}

export function createQLearningFamily<P extends QLearningParams>(options: QLearningFamilyOptions<P>): ModelFamily<P> {
  const { definition, hyperparameters } = options;
  return {
    id: definition.id,
    kind: 'policy',
    description: options.description,
    hyperparameters,
    searchSpace: options.searchSpace,
    async train(data: TrainingSet, params: P, ctx: TrainContext): Promise<TrainedModel> {
      const transitions = requireTransitions(data);
      const p = parseHyperparameters(hyperparameters, params);
      return learn(createQTable(definition, p), transitions, ctx);
    },
    async update(previous: ModelArtifact, data: TrainingSet, params: P, ctx: TrainContext): Promise<TrainedModel> {
      const transitions = requireTransitions(data);
      const p = parseHyperparameters(hyperparameters, params);
      return learn(withHyperparameters(tableFromArtifact(previous, definition, hyperparameters), p), transitions, ctx);
    },
    async load(artifact: ModelArtifact): Promise<Predictor> {
      return qTablePredictor(tableFromArtifact(artifact, definition, hyperparameters));
    },
  };
}

function requireTransitions(data: TrainingSet): PolicyTransition[] {
  if (data?.kind !== 'policy') {
    throw new InvalidInputError(`data.kind expects "policy", but got ${JSON.stringify(data?.kind)}`, { field: 'data.kind' });
  }
  if (!Array.isArray(data.transitions) || data.transitions.length === 0) {
    throw new InvalidInputError(`data.transitions expects at least one transition, but got none`, { field: 'data.transitions' });
  }
  return data.transitions;
}

/** Transitions learned between two looks at the abort signal. */
const CHUNK = 1000;

async function learn<P extends QLearningParams>(
  start: QTable<P>,
  transitions: PolicyTransition[],
  ctx: TrainContext,
): Promise<TrainedModel> {
  const p = start.hyperparameters;
  const tailLength = Math.floor(transitions.length * p.validationFraction);
  const head = transitions.slice(0, transitions.length - tailLength);
  const tail = transitions.slice(head.length);
  const rounds = tail.length > 0 ? 2 * p.epochs : p.epochs;
  let round = 0;

  const learnEpochs = async (table: QTable<P>, part: PolicyTransition[], label: string) => {
    for (let epoch = 1; epoch <= p.epochs; epoch++) {
      for (let from = 0; from < part.length; from += CHUNK) {
        await yieldToEventLoop();
        throwIfAborted(ctx.signal, `in epoch ${epoch} of ${p.epochs} over the ${label}, at transition ${from}`);
        table = applyOutcomes(table, part.slice(from, from + CHUNK));
      }
      round += 1;
      ctx.progress(round / rounds, `epoch ${epoch}/${p.epochs} over the ${label} (${part.length} transitions)`);
    }
    return table;
  };

  validateTransitions(start, transitions); // a bad transition is refused before any learning

  let table = await learnEpochs(start, head, 'training transitions');
  const metrics: Record<string, number> = { transitions: transitions.length, validation_transitions: tail.length };
  if (tail.length > 0) {
    const evaluation = evaluateReplay(table, tail);
    metrics.replay_agreement_rate = evaluation.agreementRate;
    metrics.replay_matched = evaluation.matched;
    metrics.replay_seen_state_rate = evaluation.seenStateRate;
    if (evaluation.greedyMeanReward !== undefined) metrics.replay_greedy_mean_reward = evaluation.greedyMeanReward;
    if (evaluation.loggedMeanReward !== undefined) metrics.logged_mean_reward = evaluation.loggedMeanReward;
    table = await learnEpochs(table, tail, 'validation transitions');
  }
  metrics.states_visited = Object.keys(table.entries).length;
  metrics.epsilon = table.epsilon;
  metrics.trades_seen = table.tradesSeen;

  return { artifact: tableToArtifact(table), metrics, reference: stateReference(table, transitions, ctx.seed) };
}

/**
 * For drift checks: the distribution of the visited states (each dimension as its enum index) and of
 * the rewards (as `outcomes`), over all the transitions learned from.
 */
function stateReference(table: QTable, transitions: PolicyTransition[], seed: number): ReferenceSummary {
  const width = table.stateSpace.length;
  const features = new Float32Array(transitions.length * width);
  transitions.forEach((t, i) => features.set(encodeState(table.stateSpace, t.state), i * width));
  return summarizeReference(
    { featureNames: table.stateSpace.map((d) => d.name), features, rows: transitions.length },
    { outcomes: transitions.map((t) => t.reward) },
    { seed },
  );
}

/**
 * Scores rows of enum indices (one column per state dimension, in `stateSpace` order) with the
 * table's Q-values, one output per action. A state never learned in scores `initialQ` everywhere —
 * exactly what the agent would act on. An index that names no enum value is refused.
 */
function qTablePredictor(table: QTable): Predictor {
  const artifact = tableToArtifact(table);
  const width = table.stateSpace.length;
  const actions = table.actions.length;
  return {
    signature: artifact.signature,
    async predict(batch: Float32Array, rows: number): Promise<Float32Array> {
      if (!Number.isInteger(rows) || rows < 0 || batch.length !== rows * width) {
        throw new InvalidInputError(
          `batch expects rows × ${width} values (${artifact.featureNames.join(', ')}) for ${rows} rows, but got ${batch.length}`,
          { field: 'batch' },
        );
      }
      const out = new Float32Array(rows * actions);
      for (let r = 0; r < rows; r++) {
        const state = table.stateSpace.map((d, c) => {
          const index = batch[r * width + c];
          if (!Number.isInteger(index) || index < 0 || index >= d.values.length) {
            const allowed = d.values.map((v, i) => `${i}=${v}`).join(', ');
            throw new InvalidInputError(`features[${r}].${d.name} expects an index ${allowed}, but got ${index}`, {
              field: `features[${r}].${d.name}`,
              allowed: [...d.values],
            });
          }
          return [d.name, d.values[index]];
        });
        out.set(qValuesOf(table, Object.fromEntries(state)), r * actions);
      }
      return out;
    },
    async dispose(): Promise<void> {},
  };
}
