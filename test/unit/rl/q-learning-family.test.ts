import type { PolicyTransition, TrainContext } from '../../../src/plugins/contract';
import { InvalidInputError } from '../../../src/lib/errors';
import { metaStrategyAgent, metaStrategyFamily, metaStrategyParams, type MetaStrategyParams } from '../../../src/plugins/rl/meta-strategy';
import { positionSizingAgent, positionSizingFamily, positionSizingParams } from '../../../src/plugins/rl/position-sizing';
import { Q_TABLE_FILE, tableFromArtifact, tableToArtifact } from '../../../src/plugins/rl/q-table-artifact';
import { applyOutcomes, createQTable, encodeState, qValuesOf } from '../../../src/plugins/rl/q-table';

function context(signal = new AbortController().signal): TrainContext & { fractions: number[] } {
  const fractions: number[] = [];
  return { signal, progress: (f) => fractions.push(f), log: () => undefined, seed: 7, threads: 1, fractions };
}

const regimes = ['TRENDING', 'RANGING', 'CHOPPY', 'VOLATILE'];
/** 100 decisions cycling through the regimes; trend_follow pays in TRENDING, defensive elsewhere. */
const transitions: PolicyTransition[] = Array.from({ length: 100 }, (_, i) => {
  const regime = regimes[i % 4];
  const action = metaStrategyAgent.actions[i % 5];
  const good = regime === 'TRENDING' ? 'trend_follow' : 'defensive';
  return {
    state: { regime, volatility: 'MEDIUM', liquidity: 'HIGH', performance: 'NEUTRAL' },
    action,
    reward: action === good ? 2 : -1,
    nextState: i < 99 ? { regime: regimes[(i + 1) % 4], volatility: 'MEDIUM', liquidity: 'HIGH', performance: 'NEUTRAL' } : undefined,
  };
});
const params = (p: Partial<MetaStrategyParams> = {}) => metaStrategyParams.parse({ discount: 0, learningRate: 0.5, ...p });

describe('rl_meta_strategy family', () => {
  it('is a policy family with validated, defaulted hyperparameters', () => {
    expect(metaStrategyFamily).toMatchObject({ id: 'rl_meta_strategy', kind: 'policy' });
    expect(metaStrategyFamily.hyperparameters.parse({})).toEqual({
      learningRate: 0.1,
      learningRateDecayPower: 0,
      discount: 0.95,
      epsilon: 0.3,
      epsilonDecay: 0.995,
      epsilonMin: 0.05,
      initialQ: 0,
      epochs: 1,
      validationFraction: 0.2,
      temperature: 1,
    });
    expect(metaStrategyFamily.hyperparameters.safeParse({ epsilon: 0.01, epsilonMin: 0.05 }).success).toBe(false);
  });

  it('trains from transitions into a q-table-json artifact whose predictor answers the Q-values', async () => {
    const ctx = context();
    const model = await metaStrategyFamily.train({ kind: 'policy', transitions }, params({ epochs: 3 }), ctx);
    const { artifact } = model;
    expect(artifact.format).toBe('q-table-json');
    expect(Object.keys(artifact.files)).toEqual([Q_TABLE_FILE]);
    expect(artifact.featureNames).toEqual(['regime', 'volatility', 'liquidity', 'performance']);
    expect(artifact.signature).toEqual({ task: 'policy', inputWidth: 4, outputs: [...metaStrategyAgent.actions], allowsMissing: false });

    const table = tableFromArtifact(artifact, metaStrategyAgent, metaStrategyParams);
    expect(table.tradesSeen).toBe(300); // 3 epochs × 100
    expect(Object.keys(table.entries)).toHaveLength(4);
    const trending = { regime: 'TRENDING', volatility: 'MEDIUM', liquidity: 'HIGH', performance: 'NEUTRAL' };
    const choppy = { ...trending, regime: 'CHOPPY' };

    const predictor = await metaStrategyFamily.load(artifact);
    const rows = new Float32Array([...encodeState(table.stateSpace, trending), ...encodeState(table.stateSpace, choppy)]);
    const out = await predictor.predict(rows, 2);
    expect(Array.from(out)).toEqual(Array.from(new Float32Array([...qValuesOf(table, trending), ...qValuesOf(table, choppy)])));
    expect(out.indexOf(Math.max(...out.slice(0, 5)))).toBe(0); // trend_follow in TRENDING
    expect(out.slice(5).indexOf(Math.max(...out.slice(5)))).toBe(4); // defensive in CHOPPY
    await predictor.dispose();

    expect(model.metrics).toMatchObject({ transitions: 100, validation_transitions: 20, trades_seen: 300, states_visited: 4 });
    // The validation tail comes after 80 transitions of the same pattern: the greedy action is right
    // on the 4 of 20 where it was logged, each paying 2.
    expect(model.metrics.replay_matched).toBe(4);
    expect(model.metrics.replay_greedy_mean_reward).toBe(2);
    expect(model.metrics.logged_mean_reward).toBeCloseTo((4 * 2 - 16) / 20, 12);
    expect(ctx.fractions.at(-1)).toBe(1);
    expect(ctx.fractions).toEqual([...ctx.fractions].sort((a, b) => a - b));
    expect(model.reference?.features.map((f) => f.name)).toEqual(['regime', 'volatility', 'liquidity', 'performance']);
    expect(model.reference?.outcomes?.count).toBe(100);
  });

  it('update continues from the previous table: the same as learning both batches in one go', async () => {
    const p = params({ validationFraction: 0 });
    const first = await metaStrategyFamily.train({ kind: 'policy', transitions: transitions.slice(0, 60) }, p, context());
    const second = await metaStrategyFamily.update!(first.artifact, { kind: 'policy', transitions: transitions.slice(60) }, p, context());
    const whole = await metaStrategyFamily.train({ kind: 'policy', transitions }, p, context());
    const a = tableFromArtifact(second.artifact, metaStrategyAgent, metaStrategyParams);
    const b = tableFromArtifact(whole.artifact, metaStrategyAgent, metaStrategyParams);
    expect(a).toEqual(b);
    expect(a.tradesSeen).toBe(100);
    expect(a.epsilon).toBeCloseTo(Math.max(0.05, 0.3 * 0.995 ** 100), 12);
  });

  it('update takes the hyperparameters it is given, keeping the learned ε', async () => {
    const first = await metaStrategyFamily.train({ kind: 'policy', transitions }, params(), context());
    const updated = await metaStrategyFamily.update!(
      first.artifact,
      { kind: 'policy', transitions },
      params({ temperature: 3 }),
      context(),
    );
    const table = tableFromArtifact(updated.artifact, metaStrategyAgent, metaStrategyParams);
    expect(table.hyperparameters.temperature).toBe(3);
    expect(table.epsilon).toBeCloseTo(Math.max(0.05, 0.3 * 0.995 ** 200), 12);
  });

  it('stops with an AbortError when the job is cancelled', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(metaStrategyFamily.train({ kind: 'policy', transitions }, params(), context(controller.signal))).rejects.toMatchObject({
      name: 'AbortError',
    });
  });

  it('refuses bad training data by field, before learning anything', async () => {
    const ctx = context();
    await expect(
      metaStrategyFamily.train(
        { kind: 'tabular', featureNames: [], features: new Float32Array(), target: new Float32Array(), rows: 0 },
        params(),
        ctx,
      ),
    ).rejects.toThrow(/data\.kind expects "policy", but got "tabular"/);
    await expect(metaStrategyFamily.train({ kind: 'policy', transitions: [] }, params(), ctx)).rejects.toThrow(
      /data\.transitions expects at least one transition/,
    );
    const bad = transitions.map((t, i) => (i === 42 ? { ...t, reward: Number.NaN } : t));
    await expect(metaStrategyFamily.train({ kind: 'policy', transitions: bad }, params(), ctx)).rejects.toThrow(
      new InvalidInputError('transitions[42].reward expects a finite number, but got NaN'),
    );
    const badState = transitions.map((t, i) => (i === 7 ? { ...t, state: { ...t.state, liquidity: 'VERY_HIGH' } } : t));
    await expect(metaStrategyFamily.train({ kind: 'policy', transitions: badState }, params(), ctx)).rejects.toThrow(
      /transitions\[7\]\.state\.liquidity expects one of LOW, MEDIUM, HIGH, but got "VERY_HIGH"/,
    );
    await expect(metaStrategyFamily.train({ kind: 'policy', transitions }, { learningRate: 2 } as never, ctx)).rejects.toThrow(
      /hyperparameters\.learningRate/,
    );
    expect(ctx.fractions).toEqual([]);
  });
});

describe('q-table-json artifacts and the predictor', () => {
  const table = applyOutcomes(createQTable(metaStrategyAgent, metaStrategyParams.parse({})), transitions);

  it('round-trips a table exactly', () => {
    expect(tableFromArtifact(tableToArtifact(table), metaStrategyAgent, metaStrategyParams)).toEqual(table);
  });

  it("refuses another agent's table, a wrong format, a missing file and a malformed entry", () => {
    const artifact = tableToArtifact(table);
    expect(() => tableFromArtifact(artifact, positionSizingAgent, positionSizingParams)).toThrow(
      /expects the agent rl_position_sizing with its state and action spaces, but got a table of rl_meta_strategy/,
    );
    expect(() => tableFromArtifact({ ...artifact, format: 'onnx' }, metaStrategyAgent, metaStrategyParams)).toThrow(
      /artifact\.format expects "q-table-json", but got "onnx"/,
    );
    expect(() => tableFromArtifact({ ...artifact, files: {} }, metaStrategyAgent, metaStrategyParams)).toThrow(
      /artifact\.files expects "q-table\.json", but got no files/,
    );
    const json = JSON.parse(new TextDecoder().decode(artifact.files[Q_TABLE_FILE]));
    const withEntry = (key: string, entry: unknown) => artifactWithJson({ ...json, entries: { ...json.entries, [key]: entry } });
    expect(() =>
      tableFromArtifact(
        withEntry('SIDEWAYS|LOW|LOW|GOOD', { q: [0, 0, 0, 0, 0], visits: [0, 0, 0, 0, 0] }),
        metaStrategyAgent,
        metaStrategyParams,
      ),
    ).toThrow(/q-table\.json\.entries\["SIDEWAYS\|LOW\|LOW\|GOOD"\]\.regime expects one of TRENDING, RANGING, CHOPPY, VOLATILE/);
    expect(() =>
      tableFromArtifact(withEntry('TRENDING|LOW|LOW|GOOD', { q: [0, 0], visits: [0, 0] }), metaStrategyAgent, metaStrategyParams),
    ).toThrow(/expects 5 Q-values and visit counts \(one per action\), but got 2 and 2/);
    expect(() => tableFromArtifact(artifactWithJson({ ...json, epsilon: 2 }), metaStrategyAgent, metaStrategyParams)).toThrow(
      /q-table\.json\.epsilon expects a valid Q-table field/,
    );
  });

  it('refuses a row whose index names no enum value, and a batch of the wrong width', async () => {
    const predictor = await metaStrategyFamily.load(tableToArtifact(table));
    await expect(predictor.predict(new Float32Array([0, 1, 3, 0]), 1)).rejects.toThrow(
      new InvalidInputError('features[0].liquidity expects an index 0=LOW, 1=MEDIUM, 2=HIGH, but got 3'),
    );
    await expect(predictor.predict(new Float32Array([0, 1.5, 0, 0]), 1)).rejects.toThrow(/features\[0\]\.volatility/);
    await expect(predictor.predict(new Float32Array([0, Number.NaN, 0, 0]), 1)).rejects.toThrow(/but got NaN/);
    await expect(predictor.predict(new Float32Array([0, 1, 2]), 1)).rejects.toThrow(
      /batch expects rows × 4 values \(regime, volatility, liquidity, performance\) for 1 rows, but got 3/,
    );
  });

  it('the position-sizing family trains and serves its 270 actions', async () => {
    const state = { regime: 'RANGING', confidence: 'HIGH', exposure: 'LOW', winRate: 'HOT', volatility: 'LOW' };
    const action = positionSizingAgent.actions[123];
    const model = await positionSizingFamily.train(
      { kind: 'policy', transitions: [{ state, action, reward: 3 }] },
      positionSizingParams.parse({ learningRate: 1, validationFraction: 0 }),
      context(),
    );
    expect(model.artifact.signature.outputs).toHaveLength(270);
    const predictor = await positionSizingFamily.load(model.artifact);
    const out = await predictor.predict(new Float32Array(encodeState(positionSizingAgent.stateSpace, state)), 1);
    expect(out).toHaveLength(270);
    expect(out[123]).toBe(3);
    expect(out.filter((v) => v !== 0)).toHaveLength(1);
  });
});

function artifactWithJson(json: unknown) {
  return {
    ...tableToArtifact(createQTable(metaStrategyAgent, metaStrategyParams.parse({}))),
    files: { [Q_TABLE_FILE]: new TextEncoder().encode(JSON.stringify(json)) },
  };
}
