/** importOnnxArtifact: models exported to ONNX elsewhere, checked against the declared features before registration. */
import { onnx } from 'onnx-proto';
import { InvalidInputError } from '../../../src/lib/errors';
import { assembleModel, floatConstant, floatTensorInfo, node } from '../../../src/plugins/onnx/graph';
import { importOnnxArtifact } from '../../../src/plugins/onnx/import';
import { loadOnnxPredictor } from '../../../src/plugins/onnx/predictor';

const WEIGHTS = [0.5, -2, 0.25];
const BIAS = 0.125;

/** What a linear regressor exported by another framework looks like: input "input" [batch, 3], output "variable" [batch, 1]. */
function linearRegressor(options: { metadata?: Record<string, string> } = {}): Uint8Array {
  return assembleModel({
    inputs: [floatTensorInfo('input', ['batch', 3])],
    outputs: [floatTensorInfo('variable', ['batch', 1])],
    nodes: [
      node({ opType: 'MatMul', inputs: ['input', 'weights'], outputs: ['product'] }),
      node({ opType: 'Add', inputs: ['product', 'bias'], outputs: ['variable'] }),
    ],
    initializers: [floatConstant('weights', WEIGHTS, [3, 1]), floatConstant('bias', [BIAS], [1])],
    metadata: options.metadata,
  });
}

function tensorInfo(name: string, elemType: number, shape: Array<number | string>): onnx.IValueInfoProto {
  return {
    name,
    type: { tensorType: { elemType, shape: { dim: shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  };
}

/** A logistic classifier with an int64 label beside its probability. */
function logisticClassifier(): Uint8Array {
  return assembleModel({
    inputs: [floatTensorInfo('input', ['N', 3])],
    outputs: [tensorInfo('label', onnx.TensorProto.DataType.INT64, ['N', 1]), floatTensorInfo('probability', ['N', 1])],
    nodes: [
      node({ opType: 'MatMul', inputs: ['input', 'weights'], outputs: ['product'] }),
      node({ opType: 'Add', inputs: ['product', 'bias'], outputs: ['logit'] }),
      node({ opType: 'Sigmoid', inputs: ['logit'], outputs: ['probability'] }),
      node({ opType: 'Greater', inputs: ['probability', 'half'], outputs: ['positive'] }),
      node({ opType: 'Cast', inputs: ['positive'], outputs: ['label'], attributes: { to: onnx.TensorProto.DataType.INT64 }, ints: ['to'] }),
    ],
    initializers: [floatConstant('weights', WEIGHTS, [3, 1]), floatConstant('bias', [BIAS], [1]), floatConstant('half', [0.5], [])],
  });
}

const names = ['a', 'b', 'c'];

async function refusal(promise: Promise<unknown>): Promise<InvalidInputError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidInputError);
    return error as InvalidInputError;
  }
  throw new Error('expected an InvalidInputError, but the import succeeded');
}

describe('importOnnxArtifact', () => {
  it('takes a foreign regressor: its graph’s input and output names, one output per row, served as it computes', async () => {
    const trained = await importOnnxArtifact({ 'model.onnx': linearRegressor() }, { featureNames: names });
    expect(trained.artifact).toMatchObject({
      format: 'onnx',
      featureNames: names,
      signature: { task: 'regression', inputWidth: 3, outputs: ['variable'], allowsMissing: false },
    });
    const predictor = await loadOnnxPredictor(trained.artifact.files['model.onnx'], trained.artifact.signature);
    const rows = [
      [1, 2, 3],
      [-0.5, 0.25, 8],
    ];
    const out = await predictor.predict(Float32Array.from(rows.flat()), 2);
    await predictor.dispose();
    rows.forEach((row, r) =>
      expect(out[r]).toBeCloseTo(
        row.reduce((s, x, j) => s + x * WEIGHTS[j], BIAS),
        5,
      ),
    );
  });

  it('keeps the per-row float outputs of a classifier (not its int64 label) and calls it binary by its probability output', async () => {
    const trained = await importOnnxArtifact({ 'model.onnx': logisticClassifier() }, { featureNames: names });
    expect(trained.artifact.signature).toEqual({ task: 'binary', inputWidth: 3, outputs: ['probability'], allowsMissing: false });
    const declared = await importOnnxArtifact({ 'model.onnx': linearRegressor({ metadata: { task: 'binary' } }) }, { featureNames: names });
    expect(declared.artifact.signature.task).toBe('binary');
  });

  it('refuses an input width other than the number of declared features', async () => {
    const error = await refusal(importOnnxArtifact({ 'model.onnx': linearRegressor() }, { featureNames: ['a', 'b', 'c', 'd'] }));
    expect(error.message).toBe(
      'expects an input width of 4 (one per feature name), but the model declares inputs (input: float[batch, 3])',
    );
    expect(error.details).toEqual({ field: 'file' });
  });

  it('refuses bytes that are not ONNX, and a missing model.onnx', async () => {
    const text = await refusal(
      importOnnxArtifact({ 'model.onnx': new TextEncoder().encode('tree\nversion=v4\n') }, { featureNames: names }),
    );
    expect(text.message).toMatch(/^expects an ONNX model/);
    const missing = await refusal(importOnnxArtifact({ 'model.bin': linearRegressor() }, { featureNames: names }));
    expect(missing.message).toBe('expects an artifact file "model.onnx", but got [model.bin]');
  });

  it('refuses a double input, outputs with more than one value per row, and stored feature names that differ', async () => {
    const double = assembleModel({
      inputs: [tensorInfo('input', onnx.TensorProto.DataType.DOUBLE, ['N', 3])],
      outputs: [tensorInfo('output', onnx.TensorProto.DataType.DOUBLE, ['N', 3])],
      nodes: [node({ opType: 'Identity', inputs: ['input'], outputs: ['output'] })],
    });
    expect((await refusal(importOnnxArtifact({ 'model.onnx': double }, { featureNames: names }))).message).toMatch(
      /expects one float tensor input of shape \[N, width\]/,
    );
    const pair = assembleModel({
      inputs: [floatTensorInfo('input', ['N', 3])],
      outputs: [floatTensorInfo('probabilities', ['N', 3])],
      nodes: [node({ opType: 'Softmax', inputs: ['input'], outputs: ['probabilities'] })],
    });
    expect((await refusal(importOnnxArtifact({ 'model.onnx': pair }, { featureNames: names }))).message).toMatch(
      /expects at least one float output with one value per row \(\[N\] or \[N, 1\]\), but the model declares outputs \(probabilities: float\[N, 3\]\)/,
    );
    const named = linearRegressor({ metadata: { feature_names: JSON.stringify(['x', 'y', 'z']) } });
    const error = await refusal(importOnnxArtifact({ 'model.onnx': named }, { featureNames: names }));
    expect(error.message).toMatch(/feature_names stored in the ONNX metadata \[x, y, z\], but got \[a, b, c\]/);
    expect(error.details).toEqual({ field: 'featureNames' });
  });

  it('refuses a graph ONNX Runtime cannot run, at import rather than at the first request', async () => {
    const broken = assembleModel({
      inputs: [floatTensorInfo('input', ['N', 3])],
      outputs: [floatTensorInfo('variable', ['N', 1])],
      nodes: [node({ opType: 'MatMul', inputs: ['input', 'weights'], outputs: ['variable'] })],
      initializers: [floatConstant('weights', [1, 2, 3, 4], [4, 1])],
    });
    expect((await refusal(importOnnxArtifact({ 'model.onnx': broken }, { featureNames: names }))).message).toMatch(
      /^expects an ONNX model that ONNX Runtime can run on a \[1, 3\] float input, but: /,
    );
  });
});
