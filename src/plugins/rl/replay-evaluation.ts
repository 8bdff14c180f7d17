/**
 * Offline evaluation of a table snapshot on logged transitions, by the replay method (Li, Chu,
 * Langford & Wang, 2011): walk the log, keep the decisions where the snapshot's greedy action (ties to
 * the lowest index) equals the logged one, and average their rewards.
 *
 * What the figures mean, honestly:
 * - `greedyMeanReward` estimates the greedy policy's mean immediate reward without bias only when the
 *   logged actions were drawn uniformly at random, independently of the state. Under an ε-greedy or
 *   rule-based logging policy it is biased towards the states where that policy already agreed with
 *   the snapshot; read it beside `matched` (how many decisions it rests on) and `loggedMeanReward`.
 * - It scores the immediate reward of each decision, not the discounted return.
 * - `agreementRate` is the share of logged decisions the snapshot would have taken itself.
 */
import type { PolicyTransition } from '../contract';
import { actionIndex, argmax, qValuesOf, stateKey, type QTable } from './q-table';
import { requireFinite } from '../../lib/errors';
export interface ReplayEvaluation {
  /** Logged transitions replayed. */
  transitions: number;
  /** Those where the greedy action equals the logged action. */
  matched: number;
  /** matched / transitions (0 for an empty log). */
  agreementRate: number;
  /** Mean reward over the matched transitions; undefined when none matched. */
  greedyMeanReward?: number;
  /** Mean reward over all logged transitions; undefined for an empty log. */
  loggedMeanReward?: number;
  /** Share of transitions whose state the snapshot has learned in (elsewhere it acts on initialQ ties). */
  seenStateRate: number;
}

export function evaluateReplay(table: QTable, transitions: readonly PolicyTransition[]): ReplayEvaluation {
  let matched = 0;
  let matchedReward = 0;
  let loggedReward = 0;
  let seen = 0;
  transitions.forEach((t, i) => {
    const key = stateKey(table.stateSpace, t.state, `transitions[${i}].state`);
    const logged = actionIndex(table, t.action, `transitions[${i}].action`);
    requireFinite(`transitions[${i}].reward`, t.reward);
    if (key in table.entries) seen += 1;
    loggedReward += t.reward;
    if (argmax(qValuesOf(table, t.state)) === logged) {
      matched += 1;
      matchedReward += t.reward;
    }
  });
  const n = transitions.length;
  return {
    transitions: n,
    matched,
    agreementRate: n === 0 ? 0 : matched / n,
    greedyMeanReward: matched === 0 ? undefined : matchedReward / matched,
    loggedMeanReward: n === 0 ? undefined : loggedReward / n,
    seenStateRate: n === 0 ? 0 : seen / n,
  };
}
