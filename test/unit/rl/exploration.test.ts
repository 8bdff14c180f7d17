import seedrandom from 'seedrandom';
import { chooseAction, createRng, softmaxWeights } from '../../../src/plugins/rl/exploration';
import { qLearningParams } from '../../../src/plugins/rl/q-learning-params';
import { applyOutcome, createQTable } from '../../../src/plugins/rl/q-table';

const agent = { id: 'toy', stateSpace: [{ name: 'mood', values: ['CALM', 'WILD'] }], actions: ['hold', 'buy', 'sell', 'wait'] };
const calm = { mood: 'CALM' };

function tableWithBestBuy(epsilon: number) {
  const t = createQTable(agent, qLearningParams.parse({ epsilon, epsilonMin: 0, epsilonDecay: 1, learningRate: 1 }));
  return applyOutcome(t, { state: calm, action: 'buy', reward: 3 });
}

describe('chooseAction (ε-greedy)', () => {
  it('explores with probability ε, uniformly, and otherwise takes the best action', () => {
    const table = tableWithBestBuy(0.2);
    const rng = seedrandom('explore');
    const n = 20_000;
    let explored = 0;
    let greedyNotBest = 0;
    const counts: Record<string, number> = {};
    for (let i = 0; i < n; i++) {
      const choice = chooseAction(table, calm, rng);
      if (choice.explored) explored += 1;
      else if (choice.action !== 'buy') greedyNotBest += 1;
      counts[choice.action] = (counts[choice.action] ?? 0) + 1;
    }
    expect(greedyNotBest).toBe(0);
    // ε = 0.2: explored ~ Binomial(20000, 0.2), sd ≈ 57
    expect(Math.abs(explored - 0.2 * n)).toBeLessThan(4 * 57);
    // Each non-best action is drawn only when exploring: ≈ 0.2 / 4 of the time (sd ≈ 31)
    for (const action of ['hold', 'sell', 'wait']) expect(Math.abs(counts[action] - 0.05 * n)).toBeLessThan(4 * 31);
  });

  it('is reproducible from the seed and reports the Q-values and ε it used', () => {
    const table = tableWithBestBuy(0.5);
    const run = (seed: string) => {
      const rng = createRng(seed);
      return Array.from({ length: 50 }, () => chooseAction(table, calm, rng).action);
    };
    expect(run('a')).toEqual(run('a'));
    expect(run('a')).not.toEqual(run('b'));
    const choice = chooseAction(table, calm, createRng(1));
    expect(choice.qValues).toEqual([0, 3, 0, 0]);
    expect(choice.epsilon).toBe(0.5);
  });

  it('breaks ties at random, so a state never learned in does not always get the first action', () => {
    const table = createQTable(agent, qLearningParams.parse({ epsilon: 0, epsilonMin: 0 }));
    const rng = createRng('ties');
    const seen = new Set(Array.from({ length: 200 }, () => chooseAction(table, { mood: 'WILD' }, rng).action));
    expect([...seen].sort()).toEqual(['buy', 'hold', 'sell', 'wait']);
  });

  it('refuses a state outside the enums', () => {
    expect(() => chooseAction(tableWithBestBuy(0.1), { mood: 'ANGRY' }, createRng(1))).toThrow(
      /state\.mood expects one of CALM, WILD, but got "ANGRY"/,
    );
  });
});

describe('softmaxWeights', () => {
  it('matches exp(q/T)/Σ exp(q/T), sums to 1, and sharpens as T falls', () => {
    const q = [1, 2, 0.5];
    const w = softmaxWeights(q, 1);
    const z = q.reduce((s, v) => s + Math.exp(v), 0);
    w.forEach((v, i) => expect(v).toBeCloseTo(Math.exp(q[i]) / z, 12));
    expect(w.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 12);
    expect(softmaxWeights(q, 0.1)[1]).toBeGreaterThan(0.99);
    softmaxWeights(q, 1000).forEach((v) => expect(v).toBeCloseTo(1 / 3, 3));
  });

  it('stays finite for large Q-values', () => {
    const w = softmaxWeights([1000, 1001], 1);
    expect(w[0] + w[1]).toBeCloseTo(1, 12);
    expect(w[1]).toBeCloseTo(1 / (1 + Math.exp(-1)), 12);
  });

  it('refuses a temperature that is not a positive finite number', () => {
    for (const t of [0, -1, Number.NaN, Infinity]) {
      expect(() => softmaxWeights([1, 2], t)).toThrow(new RegExp(`temperature expects a finite number > 0, but got ${t}`));
    }
  });
});
