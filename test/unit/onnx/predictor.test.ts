import { InferenceError, InvalidInputError } from '../../../src/lib/errors';
import type { ModelSignature } from '../../../src/plugins/contract';
import { describeOnnxModel, tabularInputWidth } from '../../../src/plugins/onnx/describe';
import { assembleModel, floatConstant, floatTensorInfo, node } from '../../../src/plugins/onnx/graph';
import { loadOnnxPredictor } from '../../../src/plugins/onnx/predictor';
import type { TreeEnsemble } from '../../../src/plugins/onnx/tree-ensemble';
import { buildTreeEnsembleModel } from '../../../src/plugins/onnx/tree-ensemble-model';

/** One stump on feature 0: x < 0.5 → 1 (missing goes left), else 2; base score 10. */
const stump: TreeEnsemble = {
  featureCount: 3,
  mode: 'BRANCH_LT',
  baseScore: 10,
  postTransform: 'LOGISTIC',
  trees: [
    {
      featureIndex: [0, 0, 0],
      threshold: [0.5, 0, 0],
      left: [1, -1, -1],
      right: [2, -1, -1],
      defaultLeft: [true, false, false],
      leafValue: [0, 1, 2],
    },
  ],
};
const sigmoid = (m: number) => 1 / (1 + Math.exp(-m));

function signature(overrides: Partial<ModelSignature> = {}): ModelSignature {
  return { task: 'binary', inputWidth: 3, outputs: ['probability', 'margin'], allowsMissing: true, ...overrides };
}

describe('loadOnnxPredictor', () => {
  it('concatenates the outputs per row in signature order', async () => {
    const bytes = buildTreeEnsembleModel(stump);
    for (const [outputs, expected] of [
      [
        ['probability', 'margin'],
        [sigmoid(11), 11, sigmoid(12), 12],
      ],
      [
        ['margin', 'probability'],
        [11, sigmoid(11), 12, sigmoid(12)],
      ],
      [['margin'], [11, 12]],
    ] as const) {
      const predictor = await loadOnnxPredictor(bytes, signature({ outputs: [...outputs] }), { intraOpThreads: 2 });
      try {
        const out = await predictor.predict(new Float32Array([0, 9, 9, 0.7, 9, 9]), 2);
        expect(out).toHaveLength(expected.length);
        expected.forEach((value, i) => expect(out[i]).toBeCloseTo(value, 6));
      } finally {
        await predictor.dispose();
      }
    }
  });

  it('scores NaN where missing values are allowed and returns NaN rows for what the model may not see', async () => {
    const batch = new Float32Array([NaN, 0, 0, 0.9, Infinity, 0, 0.9, 0, 0, 0.1, -Infinity, NaN]);
    const lenient = await loadOnnxPredictor(buildTreeEnsembleModel(stump), signature({ outputs: ['margin'] }));
    const strict = await loadOnnxPredictor(buildTreeEnsembleModel(stump), signature({ outputs: ['margin'], allowsMissing: false }));
    try {
      expect(Array.from(await lenient.predict(batch, 4))).toEqual([11, NaN, 12, NaN]);
      expect(Array.from(await strict.predict(batch, 4))).toEqual([NaN, NaN, 12, NaN]);
      expect(Array.from(await strict.predict(new Float32Array(0), 0))).toEqual([]);
    } finally {
      await Promise.all([lenient.dispose(), strict.dispose()]);
    }
  });

  it('refuses a batch whose length is not rows × inputWidth', async () => {
    const predictor = await loadOnnxPredictor(buildTreeEnsembleModel(stump), signature());
    try {
      const attempt = predictor.predict(new Float32Array(5), 2);
      await expect(attempt).rejects.toBeInstanceOf(InvalidInputError);
      await expect(attempt).rejects.toThrow('expects 2 rows × 3 features = 6 values, but got 5');
    } finally {
      await predictor.dispose();
    }
  });

  it('turns runtime failures into InferenceError', async () => {
    // Reshape to a fixed [2, 3] fails for any batch that is not 2 rows.
    const reshaping = assembleModel({
      inputs: [floatTensorInfo('features', ['N', 3])],
      outputs: [floatTensorInfo('value', [2, 3])],
      nodes: [node({ opType: 'Reshape', inputs: ['features', 'shape'], outputs: ['value'] })],
      initializers: [{ name: 'shape', dataType: 7, dims: [2], int64Data: [2, 3] }],
    });
    const predictor = await loadOnnxPredictor(reshaping, signature({ outputs: ['value'] }));
    try {
      await expect(predictor.predict(new Float32Array(9), 3)).rejects.toBeInstanceOf(InferenceError);
    } finally {
      await predictor.dispose();
    }
    await expect(loadOnnxPredictor(new Uint8Array([1, 2, 3]), signature())).rejects.toBeInstanceOf(InferenceError);
    await expect(loadOnnxPredictor(buildTreeEnsembleModel(stump), signature({ outputs: ['score'] }))).rejects.toThrow(
      /expects an ONNX model with one input and the outputs \[score\], but got inputs \[features\] and outputs \[probability, margin\]/,
    );
  });
});

describe('describeOnnxModel', () => {
  it('lists the inputs, outputs, opsets and metadata of a model', () => {
    const description = describeOnnxModel(buildTreeEnsembleModel(stump, { metadata: { feature_names: '["a","b","c"]' } }));
    expect(description).toEqual({
      irVersion: 8,
      producer: 'kybernet',
      opsets: { '': 17, 'ai.onnx.ml': 3 },
      inputs: [{ name: 'features', elemType: 'float', shape: ['N', 3] }],
      outputs: [
        { name: 'probability', elemType: 'float', shape: ['N', 1] },
        { name: 'margin', elemType: 'float', shape: ['N', 1] },
      ],
      metadata: { feature_names: '["a","b","c"]' },
    });
    expect(tabularInputWidth(description)).toBe(3);
    expect(tabularInputWidth(description, 3)).toBe(3);
  });

  it('leaves initializers out of the inputs', () => {
    const bytes = assembleModel({
      inputs: [floatTensorInfo('features', ['N', 2]), floatTensorInfo('offset', [2])],
      outputs: [floatTensorInfo('sum', ['N', 2])],
      nodes: [node({ opType: 'Add', inputs: ['features', 'offset'], outputs: ['sum'] })],
      initializers: [floatConstant('offset', [1, 2])],
    });
    expect(describeOnnxModel(bytes).inputs).toEqual([{ name: 'features', elemType: 'float', shape: ['N', 2] }]);
  });

  it('refuses bytes that are not an ONNX model', () => {
    for (const bytes of [new Uint8Array([0xff, 0xff, 0xff, 0x01]), new TextEncoder().encode('{"learner":{}}'), new Uint8Array()]) {
      expect(() => describeOnnxModel(bytes)).toThrow(InvalidInputError);
    }
  });

  it('refuses inputs that are not one float tensor [N, width] of the expected width', () => {
    const model = (inputs: ReturnType<typeof floatTensorInfo>[]) =>
      describeOnnxModel(
        assembleModel({
          inputs,
          outputs: [floatTensorInfo('y', ['N', 1])],
          nodes: [node({ opType: 'Identity', inputs: [inputs[0].name!], outputs: ['y'] })],
        }),
      );
    const doubleInput = floatTensorInfo('x', ['N', 4]);
    doubleInput.type!.tensorType!.elemType = 11;
    expect(() => tabularInputWidth(model([floatTensorInfo('x', ['N', 4])]), 5)).toThrow(
      'expects an input width of 5 (one per feature name), but the model declares inputs (x: float[N, 4])',
    );
    expect(() => tabularInputWidth(model([doubleInput]))).toThrow(/one float tensor input of shape \[N, width\]/);
    expect(() => tabularInputWidth(model([floatTensorInfo('x', [1, 4])]))).toThrow(/variable batch size/);
    expect(() => tabularInputWidth(model([floatTensorInfo('x', ['N', 'width'])]))).toThrow(/fixed feature width/);
    expect(() => tabularInputWidth(model([floatTensorInfo('x', ['N', 4]), floatTensorInfo('z', ['N', 4])]))).toThrow(/exactly one input/);
  });
});
