import { InvalidInputError } from '../../../src/lib/errors';
import { qLearningParams } from '../../../src/plugins/rl/q-learning-params';
import {
  applyOutcome,
  applyOutcomes,
  createQTable,
  encodeState,
  greedyAction,
  hasVisited,
  qValuesOf,
  resetTable,
  stateKey,
  type QAgentDefinition,
} from '../../../src/plugins/rl/q-table';

function thrownBy(fn: () => unknown): InvalidInputError {
  try {
    fn();
  } catch (error) {
    return error as InvalidInputError;
  }
  throw new Error('expected a throw');
}

const agent: QAgentDefinition = {
  id: 'toy',
  stateSpace: [
    { name: 'mood', values: ['CALM', 'WILD'] },
    { name: 'size', values: ['S', 'M', 'L'] },
  ],
  actions: ['hold', 'buy', 'sell'],
};
const params = qLearningParams.parse({ learningRate: 0.5, discount: 0.9, epsilon: 0.4, epsilonDecay: 0.5, epsilonMin: 0.1 });
const calmS = { mood: 'CALM', size: 'S' };
const wildL = { mood: 'WILD', size: 'L' };

describe('Q-table learning step', () => {
  it('moves Q(s,a) a step α towards r + γ·max Q(s′) and leaves the other actions alone', () => {
    const t0 = createQTable(agent, params);
    // Terminal: target is the reward alone. 0 + 0.5 × (2 − 0) = 1
    const t1 = applyOutcome(t0, { state: wildL, action: 'sell', reward: 2 });
    expect(qValuesOf(t1, wildL)).toEqual([0, 0, 1]);
    // With a next state: target = −1 + 0.9 × max(0, 0, 1) = −0.1; 0 + 0.5 × (−0.1) = −0.05
    const t2 = applyOutcome(t1, { state: calmS, action: 'buy', reward: -1, nextState: wildL });
    expect(qValuesOf(t2, calmS)[1]).toBeCloseTo(-0.05, 12);
    expect(qValuesOf(t2, calmS)[0]).toBe(0);
    expect(t2.entries['CALM|S'].visits).toEqual([0, 1, 0]);
    // Again: −0.05 + 0.5 × (−0.1 − (−0.05)) = −0.075
    const t3 = applyOutcome(t2, { state: calmS, action: 'buy', reward: -1, nextState: wildL });
    expect(qValuesOf(t3, calmS)[1]).toBeCloseTo(-0.075, 12);
    expect(greedyAction(t3, calmS)).toBe('hold');
  });

  it('decays ε per learned trade down to epsilonMin and counts trades', () => {
    let table = createQTable(agent, params);
    const eps: number[] = [];
    for (let i = 0; i < 4; i++) {
      table = applyOutcome(table, { state: calmS, action: 'hold', reward: 0 });
      eps.push(table.epsilon);
    }
    expect(eps).toEqual([0.2, 0.1, 0.1, 0.1]);
    expect(table.tradesSeen).toBe(4);
  });

  it('uses α_n = learningRate / (1 + n)^ω, so ω = 1 averages the rewards', () => {
    let table = createQTable(agent, qLearningParams.parse({ learningRate: 1, learningRateDecayPower: 1 }));
    for (const reward of [4, 8, 3, 1]) table = applyOutcome(table, { state: calmS, action: 'buy', reward });
    expect(qValuesOf(table, calmS)[1]).toBeCloseTo(4, 12);
  });

  it('never mutates the table it is given', () => {
    const t0 = applyOutcome(createQTable(agent, params), { state: calmS, action: 'buy', reward: 1 });
    const frozen = JSON.stringify(t0);
    applyOutcome(t0, { state: calmS, action: 'buy', reward: 5 });
    applyOutcomes(t0, [
      { state: wildL, action: 'sell', reward: 1 },
      { state: calmS, action: 'hold', reward: 1 },
    ]);
    resetTable(t0);
    expect(JSON.stringify(t0)).toBe(frozen);
  });

  it('stores only the states it has learned in; others read initialQ', () => {
    const table = applyOutcome(createQTable(agent, qLearningParams.parse({ initialQ: 0.25 })), { state: calmS, action: 'buy', reward: 1 });
    expect(Object.keys(table.entries)).toEqual(['CALM|S']);
    expect(qValuesOf(table, wildL)).toEqual([0.25, 0.25, 0.25]);
    expect(hasVisited(table, calmS)).toBe(true);
    expect(hasVisited(table, wildL)).toBe(false);
  });

  it('resetTable forgets Q-values and visits and restarts exploration at ε (0.5 by default)', () => {
    const learned = applyOutcomes(createQTable(agent, params), [
      { state: calmS, action: 'buy', reward: 1 },
      { state: wildL, action: 'sell', reward: 1 },
    ]);
    const reset = resetTable(learned);
    expect(reset.entries).toEqual({});
    expect(reset.epsilon).toBe(0.5);
    expect(reset.tradesSeen).toBe(2);
    expect(resetTable(learned, 0.8).epsilon).toBe(0.8);
    expect(() => resetTable(learned, 1.5)).toThrow(/epsilon expects a number in \[0, 1\], but got 1.5/);
  });

  it('encodes a state as enum indices in dimension order', () => {
    expect(encodeState(agent.stateSpace, wildL)).toEqual([1, 2]);
    expect(stateKey(agent.stateSpace, { size: 'M', mood: 'CALM' })).toBe('CALM|M');
  });
});

describe('Q-table input validation', () => {
  const table = createQTable(agent, params);

  it('names the dimension and the allowed values of a state value outside its enum', () => {
    expect(() => applyOutcome(table, { state: { mood: 'SLEEPY', size: 'S' }, action: 'buy', reward: 1 })).toThrow(
      new InvalidInputError('state.mood expects one of CALM, WILD, but got "SLEEPY"'),
    );
    const missing = thrownBy(() => qValuesOf(table, { mood: 'CALM' }));
    expect(missing).toBeInstanceOf(InvalidInputError);
    expect(missing.message).toBe('state.size expects one of S, M, L, but got nothing');
    expect(missing.details).toEqual({ field: 'state.size', allowed: ['S', 'M', 'L'] });
    expect(() => qValuesOf(table, { mood: 'CALM', size: 'S', colour: 'red' })).toThrow(
      /state expects only the dimensions mood, size, but got "colour"/,
    );
  });

  it('refuses an action the agent does not have, and a non-finite reward', () => {
    expect(() => applyOutcome(table, { state: calmS, action: 'short', reward: 1 })).toThrow(
      new InvalidInputError('action expects one of hold, buy, sell, but got "short"'),
    );
    for (const reward of [Number.NaN, Infinity, -Infinity]) {
      expect(() => applyOutcome(table, { state: calmS, action: 'buy', reward })).toThrow(
        new InvalidInputError(`reward expects a finite number, but got ${reward}`),
      );
    }
    expect(() => applyOutcome(table, { state: calmS, action: 'buy', reward: 1, nextState: { mood: 'CALM', size: 'XL' } })).toThrow(
      /nextState\.size expects one of S, M, L, but got "XL"/,
    );
  });

  it('refuses a whole batch, naming the index, when one transition is bad', () => {
    expect(() =>
      applyOutcomes(table, [
        { state: calmS, action: 'buy', reward: 1 },
        { state: calmS, action: 'buy', reward: Number.NaN },
      ]),
    ).toThrow(/transitions\[1\]\.reward expects a finite number, but got NaN/);
  });
});
