/**
 * Q-learning against the exact answer: on a small stochastic MDP, Q* from value iteration, and the
 * tabular learner (our applyOutcome) fed transitions sampled from the same MDP.
 */
import seedrandom from 'seedrandom';
import { chooseAction } from '../../../src/plugins/rl/exploration';
import { qLearningParams } from '../../../src/plugins/rl/q-learning-params';
import { applyOutcome, applyOutcomes, argmax, createQTable, qValuesOf, type QTable } from '../../../src/plugins/rl/q-table';
import type { PolicyTransition } from '../../../src/plugins/contract';

const GAMMA = 0.9;
/** P[s][a][s'] */
const P = [
  [
    [0.7, 0.3, 0],
    [0.1, 0.2, 0.7],
  ],
  [
    [0.4, 0.6, 0],
    [0, 0.3, 0.7],
  ],
  [
    [0.8, 0, 0.2],
    [0.2, 0.5, 0.3],
  ],
];
/** R[s][a][s'] */
const R = [
  [
    [1, 0, 0],
    [0, 0, 2],
  ],
  [
    [0, 0.5, 0],
    [0, -1, 3],
  ],
  [
    [2, 0, -1],
    [-0.5, 0, 1],
  ],
];
const STATES = P.length;
const ACTIONS = 2;
const agent = { id: 'mdp', stateSpace: [{ name: 'cell', values: ['s0', 's1', 's2'] }], actions: ['a0', 'a1'] };

/** Q(s,a) ← Σ_s' P(s'|s,a) · (R(s,a,s') + γ · max_a' Q(s',a')) until the largest change is below 1e-13. */
function valueIteration(): number[][] {
  let q = Array.from({ length: STATES }, () => new Array<number>(ACTIONS).fill(0));
  for (;;) {
    const next = q.map((_, s) => q[s].map((_, a) => P[s][a].reduce((sum, p, n) => sum + p * (R[s][a][n] + GAMMA * Math.max(...q[n])), 0)));
    const change = Math.max(...next.flatMap((row, s) => row.map((v, a) => Math.abs(v - q[s][a]))));
    q = next;
    if (change < 1e-13) return q;
  }
}

function step(s: number, a: number, rng: () => number): PolicyTransition & { next: number } {
  const u = rng();
  let next = 0;
  for (let acc = P[s][a][0]; u >= acc && next < STATES - 1; acc += P[s][a][next]) next += 1;
  return { state: { cell: `s${s}` }, action: `a${a}`, reward: R[s][a][next], nextState: { cell: `s${next}` }, next };
}

function maxError(table: QTable, qStar: number[][]): number {
  return Math.max(...qStar.flatMap((row, s) => row.map((v, a) => Math.abs(qValuesOf(table, { cell: `s${s}` })[a] - v))));
}

const STEPS = 200_000;
const TOLERANCE = 0.15; // about 1 % of |Q*| ≈ 14 here
// α_n = 1 / (1 + n)^0.7: a Robbins–Monro schedule, under which tabular Q-learning converges to Q*.
const params = { learningRate: 1, learningRateDecayPower: 0.7, discount: GAMMA };

describe('Q-learning converges to the value-iteration Q* of a stochastic MDP', () => {
  const qStar = valueIteration();

  it('value iteration has found the Bellman fixed point', () => {
    const residual = Math.max(
      ...qStar.flatMap((row, s) =>
        row.map((v, a) => Math.abs(v - P[s][a].reduce((sum, p, n) => sum + p * (R[s][a][n] + GAMMA * Math.max(...qStar[n])), 0))),
      ),
    );
    expect(residual).toBeLessThan(1e-12);
    expect(qStar.map((row) => argmax(row))).toEqual([1, 1, 0]); // the optimal policy is not trivial
  });

  it(`off-policy, from ${STEPS} uniformly explored transitions`, () => {
    const rng = seedrandom('uniform-behaviour');
    const transitions: PolicyTransition[] = [];
    let s = 0;
    for (let i = 0; i < STEPS; i++) {
      const t = step(s, rng() < 0.5 ? 0 : 1, rng);
      transitions.push(t);
      s = t.next;
    }
    const table = applyOutcomes(
      createQTable(agent, qLearningParams.parse({ ...params, epsilon: 1, epsilonMin: 1, epsilonDecay: 1 })),
      transitions,
    );
    const error = maxError(table, qStar);
    console.log(
      `Q-learning (uniform behaviour, ${STEPS} steps): max |Q − Q*| = ${error.toFixed(4)}; Q* = ${JSON.stringify(qStar.map((r) => r.map((v) => +v.toFixed(3))))}`,
    );
    expect(error).toBeLessThan(TOLERANCE);
    expect(qStar.map((_, s) => argmax(qValuesOf(table, { cell: `s${s}` })))).toEqual(qStar.map((row) => argmax(row)));
  });

  it(`online, acting ε-greedily with chooseAction and learning each step with applyOutcome (${STEPS} steps)`, () => {
    const rng = seedrandom('online');
    let table = createQTable(agent, qLearningParams.parse({ ...params, epsilon: 1, epsilonDecay: 0.9999, epsilonMin: 0.3 }));
    let s = 0;
    let explored = 0;
    for (let i = 0; i < STEPS; i++) {
      const choice = chooseAction(table, { cell: `s${s}` }, rng);
      if (choice.explored) explored += 1;
      const t = step(s, choice.actionIndex, rng);
      table = applyOutcome(table, t);
      s = t.next;
    }
    const error = maxError(table, qStar);
    console.log(`Q-learning (online ε-greedy, ${STEPS} steps, ${explored} explored): max |Q − Q*| = ${error.toFixed(4)}`);
    expect(table.epsilon).toBe(0.3);
    expect(error).toBeLessThan(TOLERANCE);
  });
});
