import { qLearningParams } from '../../../src/plugins/rl/q-learning-params';
import { applyOutcomes, createQTable } from '../../../src/plugins/rl/q-table';
import { evaluateReplay } from '../../../src/plugins/rl/replay-evaluation';

const agent = { id: 'toy', stateSpace: [{ name: 'mood', values: ['CALM', 'WILD', 'ODD'] }], actions: ['hold', 'buy', 'sell'] };
const calm = { mood: 'CALM' };
const wild = { mood: 'WILD' };
// Greedy after learning: CALM → buy, WILD → sell; ODD never learned (ties → hold, the lowest index).
const snapshot = applyOutcomes(createQTable(agent, qLearningParams.parse({ learningRate: 1 })), [
  { state: calm, action: 'buy', reward: 1 },
  { state: wild, action: 'sell', reward: 1 },
]);

describe('evaluateReplay', () => {
  it('averages the rewards of the logged decisions the greedy policy agrees with', () => {
    const log = [
      { state: calm, action: 'buy', reward: 4 }, // agrees
      { state: calm, action: 'hold', reward: -2 },
      { state: wild, action: 'sell', reward: 2 }, // agrees
      { state: wild, action: 'buy', reward: 10 },
      { state: { mood: 'ODD' }, action: 'hold', reward: 0 }, // agrees (ties go to the lowest index), unseen state
    ];
    expect(evaluateReplay(snapshot, log)).toEqual({
      transitions: 5,
      matched: 3,
      agreementRate: 0.6,
      greedyMeanReward: 2,
      loggedMeanReward: 14 / 5,
      seenStateRate: 0.8,
    });
  });

  it('leaves the greedy mean undefined when nothing matches, and handles an empty log', () => {
    expect(evaluateReplay(snapshot, [{ state: calm, action: 'sell', reward: 1 }])).toEqual({
      transitions: 1,
      matched: 0,
      agreementRate: 0,
      greedyMeanReward: undefined,
      loggedMeanReward: 1,
      seenStateRate: 1,
    });
    expect(evaluateReplay(snapshot, [])).toMatchObject({ transitions: 0, matched: 0, agreementRate: 0, seenStateRate: 0 });
  });

  it('refuses a bad logged transition by index', () => {
    expect(() =>
      evaluateReplay(
        snapshot,
        [calm, wild].map((state) => ({ state, action: 'buy', reward: Infinity })),
      ),
    ).toThrow(/transitions\[0\]\.reward expects a finite number, but got Infinity/);
    expect(() => evaluateReplay(snapshot, [{ state: calm, action: 'short', reward: 1 }])).toThrow(
      /transitions\[0\]\.action expects one of hold, buy, sell/,
    );
  });
});
