/**
 * A tabular Q-learning agent's whole state as one JSON-serialisable value, and the pure learning step
 * on it. States are tuples of enum values (one per dimension); Q-values are stored only for states the
 * agent has learned in, so a 768-state × 270-action space costs what it has seen.
 *
 * Every function here returns a new table and never mutates its argument, so a caller can keep the
 * previous snapshot, compare, or roll back.
 */
import { InvalidInputError, requireFinite } from '../../lib/errors';
import type { PolicyTransition } from '../contract';
import type { QLearningParams } from './q-learning-params';

export interface StateDimension {
  name: string;
  values: readonly string[];
}

/** What an agent is: the dimensions of its state and the names of its actions. */
export interface QAgentDefinition {
  id: string;
  stateSpace: readonly StateDimension[];
  actions: readonly string[];
}

/** A state by dimension name, e.g. `{ regime: 'TRENDING', volatility: 'LOW', … }`. */
export type AgentState = Record<string, string>;

export interface QTableEntry {
  /** One per action, in `actions` order. */
  q: number[];
  /** Updates applied per action. */
  visits: number[];
}

export const Q_TABLE_FORMAT = 'q-table-json';

export interface QTable<P extends QLearningParams = QLearningParams> {
  format: typeof Q_TABLE_FORMAT;
  formatVersion: 1;
  agent: string;
  stateSpace: StateDimension[];
  actions: string[];
  /** The agent's own hyperparameters, family-specific fields included. */
  hyperparameters: P;
  /** Current exploration rate; decays with every learned trade. */
  epsilon: number;
  /** Transitions learned since the table was created (resets included). */
  tradesSeen: number;
  /** Visited states by `stateKey`. */
  entries: Record<string, QTableEntry>;
}

export function createQTable<P extends QLearningParams>(definition: QAgentDefinition, hyperparameters: P): QTable<P> {
  return {
    format: Q_TABLE_FORMAT,
    formatVersion: 1,
    agent: definition.id,
    stateSpace: definition.stateSpace.map((d) => ({ name: d.name, values: [...d.values] })),
    actions: [...definition.actions],
    hyperparameters: { ...hyperparameters },
    epsilon: hyperparameters.epsilon,
    tradesSeen: 0,
    entries: {},
  };
}

/** Refuses a table that belongs to another agent (a caller handed the wrong snapshot). */
export function requireAgent(table: QTable, definition: QAgentDefinition): void {
  if (table?.agent !== definition.id) {
    throw new InvalidInputError(`table expects a Q-table of ${definition.id}, but got one of ${String(table?.agent)}`, { field: 'table' });
  }
}

const KEY_SEPARATOR = '|';

/**
 * The key of a state in `entries`: its values in dimension order joined by '|'. Refuses a missing
 * dimension, an unknown one, or a value outside a dimension's enum, naming `${field}.${dimension}`.
 */
export function stateKey(space: readonly StateDimension[], state: AgentState, field = 'state'): string {
  if (state === null || typeof state !== 'object') {
    throw new InvalidInputError(`${field} expects an object with ${space.map((d) => d.name).join(', ')}, but got ${String(state)}`, {
      field,
    });
  }
  for (const name of Object.keys(state)) {
    if (!space.some((d) => d.name === name)) {
      throw new InvalidInputError(`${field} expects only the dimensions ${space.map((d) => d.name).join(', ')}, but got "${name}"`, {
        field: `${field}.${name}`,
      });
    }
  }
  return space
    .map((d) => {
      const value = state[d.name];
      if (!d.values.includes(value)) {
        throw new InvalidInputError(
          `${field}.${d.name} expects one of ${d.values.join(', ')}, but got ${value === undefined ? 'nothing' : JSON.stringify(value)}`,
          { field: `${field}.${d.name}`, allowed: [...d.values] },
        );
      }
      return value;
    })
    .join(KEY_SEPARATOR);
}

/** A state as the predictor's input row: each dimension's value as its index in the enum. */
export function encodeState(space: readonly StateDimension[], state: AgentState, field = 'state'): number[] {
  stateKey(space, state, field);
  return space.map((d) => d.values.indexOf(state[d.name]));
}

export function stateFromKey(space: readonly StateDimension[], key: string): AgentState {
  const values = key.split(KEY_SEPARATOR);
  return Object.fromEntries(space.map((d, i) => [d.name, values[i]]));
}

export function actionIndex(table: Pick<QTable, 'actions'>, action: string, field = 'action'): number {
  const index = table.actions.indexOf(action);
  if (index < 0) {
    throw new InvalidInputError(`${field} expects one of ${table.actions.join(', ')}, but got ${JSON.stringify(action)}`, {
      field,
      allowed: [...table.actions],
    });
  }
  return index;
}

/** The Q-values of a state, one per action; `initialQ` for every action of a state never learned in. */
export function qValuesOf(table: QTable, state: AgentState, field = 'state'): number[] {
  return qValuesByKey(table, stateKey(table.stateSpace, state, field));
}

function qValuesByKey(table: QTable, key: string): number[] {
  const entry = table.entries[key];
  return entry ? [...entry.q] : table.actions.map(() => table.hyperparameters.initialQ);
}

/** Whether the agent has learned anything in this state. */
export function hasVisited(table: QTable, state: AgentState): boolean {
  return stateKey(table.stateSpace, state) in table.entries;
}

/** The index of the largest value; ties go to the lowest index, so the greedy policy is deterministic. */
export function argmax(values: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

export function greedyAction(table: QTable, state: AgentState): string {
  return table.actions[argmax(qValuesOf(table, state))];
}

/**
 * The online learning step, called once per closed trade:
 *   Q(s,a) ← Q(s,a) + α_n · (r + γ · max_a' Q(s',a') − Q(s,a))   (target r alone when there is no s')
 * with α_n = learningRate / (1 + n)^learningRateDecayPower, n the earlier updates of (s,a); then
 * ε ← max(epsilonMin, ε · epsilonDecay) and tradesSeen + 1.
 */
export function applyOutcome<P extends QLearningParams>(table: QTable<P>, transition: PolicyTransition): QTable<P> {
  return applyOutcomes(table, [transition]);
}

/**
 * `applyOutcome` over transitions in order. Every transition is checked before any is learned: the
 * first invalid one refuses the batch, naming `transitions[i].<field>`.
 */
export function applyOutcomes<P extends QLearningParams>(table: QTable<P>, transitions: readonly PolicyTransition[]): QTable<P> {
  const next: QTable<P> = { ...table, entries: { ...table.entries } };
  const copied = new Set<string>();
  const p = table.hyperparameters;
  const checked = transitions.map((t, i) => checkTransition(table, t, transitions.length === 1 ? '' : `transitions[${i}].`));
  for (const t of checked) {
    const target = t.nextKey === undefined ? t.reward : t.reward + p.discount * Math.max(...qValuesByKey(next, t.nextKey));
    if (!copied.has(t.key)) {
      next.entries[t.key] = { q: qValuesByKey(next, t.key), visits: next.entries[t.key]?.visits.slice() ?? next.actions.map(() => 0) };
      copied.add(t.key);
    }
    const entry = next.entries[t.key];
    const alpha = p.learningRate / Math.pow(1 + entry.visits[t.action], p.learningRateDecayPower);
    entry.q[t.action] += alpha * (target - entry.q[t.action]);
    entry.visits[t.action] += 1;
    next.epsilon = Math.max(p.epsilonMin, next.epsilon * p.epsilonDecay);
    next.tradesSeen += 1;
  }
  return next;
}

/** Refuses the first invalid transition, naming `transitions[i].<field>`. */
export function validateTransitions(table: QTable, transitions: readonly PolicyTransition[]): void {
  transitions.forEach((t, i) => checkTransition(table, t, `transitions[${i}].`));
}

interface CheckedTransition {
  key: string;
  action: number;
  reward: number;
  nextKey?: string;
}

function checkTransition(table: QTable, t: PolicyTransition, prefix: string): CheckedTransition {
  if (t === null || typeof t !== 'object') {
    throw new InvalidInputError(`${prefix || 'transition'} expects { state, action, reward, nextState? }, but got ${String(t)}`, {
      field: prefix.slice(0, -1) || 'transition',
    });
  }
  const key = stateKey(table.stateSpace, t.state, `${prefix}state`);
  const action = actionIndex(table, t.action, `${prefix}action`);
  requireFinite(`${prefix}reward`, t.reward);
  const nextKey = t.nextState === undefined ? undefined : stateKey(table.stateSpace, t.nextState, `${prefix}nextState`);
  return { key, action, reward: t.reward, nextKey };
}

/**
 * A fresh start after a regime change: forgets every Q-value and visit count and sets ε (0.5 by
 * default, so the agent re-explores), keeping the spaces, hyperparameters and the lifetime tradesSeen.
 */
export function resetTable<P extends QLearningParams>(table: QTable<P>, epsilon = 0.5): QTable<P> {
  if (typeof epsilon !== 'number' || !(epsilon >= 0 && epsilon <= 1)) {
    throw new InvalidInputError(`epsilon expects a number in [0, 1], but got ${String(epsilon)}`, { field: 'epsilon' });
  }
  return { ...table, epsilon, entries: {} };
}

/** Replaces the hyperparameters a table learns with from now on (ε and the Q-values stay). */
export function withHyperparameters<P extends QLearningParams>(table: QTable, hyperparameters: P): QTable<P> {
  return { ...table, hyperparameters: { ...hyperparameters } };
}
