/**
 * How an agent acts on its table: ε-greedy choice (the live decision) and softmax weights (a blend of
 * all actions, for callers that allocate rather than pick). Randomness comes only from the `rng`
 * passed in, a seedrandom generator in practice, so a run is reproducible from its seed.
 */
import seedrandom from 'seedrandom';
import { requireFinite } from '../../lib/errors';
import { qValuesOf, type AgentState, type QTable } from './q-table';

/** A uniform number in [0, 1). */
export type Rng = () => number;

export function createRng(seed: number | string): Rng {
  return seedrandom(String(seed));
}

export interface ActionChoice {
  action: string;
  actionIndex: number;
  /** True when the choice was the ε-random one rather than the greedy one. */
  explored: boolean;
  /** The state's Q-values, one per action in `table.actions` order. */
  qValues: number[];
  /** The ε the choice was made with. */
  epsilon: number;
}

/**
 * ε-greedy: with probability ε a uniformly random action (explored), else the best one, ties broken
 * at random. Reads the table only: ε decays as outcomes are learned (`applyOutcome`), not per decision.
 */
export function chooseAction(table: QTable, state: AgentState, rng: Rng): ActionChoice {
  const qValues = qValuesOf(table, state);
  const explored = rng() < table.epsilon;
  let index: number;
  if (explored) {
    index = Math.floor(rng() * qValues.length);
  } else {
    const best = Math.max(...qValues);
    const ties = qValues.flatMap((q, i) => (q === best ? [i] : []));
    index = ties[Math.floor(rng() * ties.length)];
  }
  return { action: table.actions[index], actionIndex: index, explored, qValues, epsilon: table.epsilon };
}

/** exp(q/T) / Σ exp(q/T), computed stably. A lower temperature concentrates weight on the best action. */
export function softmaxWeights(qValues: readonly number[], temperature: number): number[] {
  requireFinite('temperature', temperature, 'a finite number > 0', (v) => v > 0);
  const max = Math.max(...qValues);
  const exps = qValues.map((q) => Math.exp((q - max) / temperature));
  const sum = exps.reduce((s, e) => s + e, 0);
  return exps.map((e) => e / sum);
}
