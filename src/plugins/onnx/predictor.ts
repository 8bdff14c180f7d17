/**
 * The shared Predictor over onnxruntime-node: one float32 input [rows, inputWidth], the outputs named
 * in signature.outputs concatenated per row in that order. A sequence model (signature.sequence) takes
 * its rows as windows [rows, inputLength, channels] and gives one output [rows, horizon, targets],
 * which is already each row's outputs in signature order.
 *
 * Rows the model may not see (±Inf anywhere; NaN where the signature does not allow missing values)
 * are not sent to the runtime: they come back NaN in every output, as the Predictor contract asks. An
 * output the runtime gives as ±Inf comes back NaN too: nothing non-finite reaches a caller or the log.
 */
import * as ort from 'onnxruntime-node';
import { InferenceError, InvalidInputError } from '../../lib/errors';
import type { ModelSignature, Predictor } from '../contract';

export interface OnnxPredictorOptions {
  /** Threads ONNX Runtime uses inside one operator; default 1 (serving runs many sessions side by side). */
  intraOpThreads?: number;
}

function runtimeMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Indexes of the rows the model may score. */
function scorableRows(batch: Float32Array, rows: number, width: number, allowsMissing: boolean): number[] {
  const ok: number[] = [];
  for (let r = 0; r < rows; r++) {
    let valid = true;
    for (let j = r * width, end = j + width; j < end; j++) {
      const v = batch[j];
      if (v === Infinity || v === -Infinity || (!allowsMissing && v !== v)) {
        valid = false;
        break;
      }
    }
    if (valid) ok.push(r);
  }
  return ok;
}

function gatherRows(batch: Float32Array, rowIndexes: number[], width: number): Float32Array {
  const out = new Float32Array(rowIndexes.length * width);
  rowIndexes.forEach((r, k) => out.set(batch.subarray(r * width, (r + 1) * width), k * width));
  return out;
}

function floatValues(tensor: ort.Tensor, name: string): Float32Array | Float64Array {
  if (tensor.type !== 'float32' && tensor.type !== 'float64') {
    throw new InferenceError(`expects output "${name}" to be a float tensor, but got ${tensor.type}`);
  }
  return tensor.data as Float32Array | Float64Array;
}

/** Spreads `width` values per scored row into the result rows they belong to; an overflow (±Inf) reads as not scored. */
function copyRows(values: Float32Array | Float64Array, width: number, scorable: number[], result: Float32Array): void {
  if (values.length !== scorable.length * width) {
    throw new InferenceError(`expects ${width} output values per row (${scorable.length} rows), but got ${values.length}`);
  }
  scorable.forEach((r, k) => {
    for (let o = 0; o < width; o++) {
      const value = values[k * width + o];
      result[r * width + o] = value === Infinity || value === -Infinity ? NaN : value;
    }
  });
}

class OnnxPredictor implements Predictor {
  private readonly inputName: string;

  constructor(
    private readonly session: ort.InferenceSession,
    readonly signature: ModelSignature,
  ) {
    this.inputName = session.inputNames[0];
  }

  async predict(batch: Float32Array, rows: number): Promise<Float32Array> {
    const width = this.signature.inputWidth;
    if (!Number.isInteger(rows) || rows < 0 || batch.length !== rows * width) {
      throw new InvalidInputError(`expects ${rows} rows × ${width} features = ${rows * width} values, but got ${batch.length}`, {
        field: 'features',
      });
    }
    const outputCount = this.signature.outputs.length;
    const result = new Float32Array(rows * outputCount).fill(NaN);
    const scorable = scorableRows(batch, rows, width, this.signature.allowsMissing);
    if (scorable.length === 0) return result;
    const input = scorable.length === rows ? batch : gatherRows(batch, scorable, width);

    const { sequence } = this.signature;
    let outputs: ort.InferenceSession.OnnxValueMapType;
    try {
      const dims = sequence ? [scorable.length, sequence.inputLength, sequence.inputChannels.length] : [scorable.length, width];
      const tensor = new ort.Tensor('float32', input, dims);
      outputs = await this.session.run({ [this.inputName]: tensor }, sequence ? [sequence.output] : this.signature.outputs);
    } catch (error) {
      throw new InferenceError(`ONNX Runtime could not score the batch: ${runtimeMessage(error)}`, { rows });
    }
    if (sequence) {
      copyRows(floatValues(outputs[sequence.output], sequence.output), outputCount, scorable, result);
      return result;
    }
    this.signature.outputs.forEach((name, o) => {
      const values = floatValues(outputs[name], name);
      if (values.length !== scorable.length) {
        throw new InferenceError(`expects output "${name}" to hold one value per row (${scorable.length}), but got ${values.length}`);
      }
      scorable.forEach((r, k) => {
        // An output that overflowed (±Inf) is no answer: the row reads as not scored, like a row never sent.
        const value = values[k];
        result[r * outputCount + o] = value === Infinity || value === -Infinity ? NaN : value;
      });
    });
    return result;
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}

/** A Predictor over the ONNX model in `modelBytes`, which must have one input and the signature's outputs. */
export async function loadOnnxPredictor(
  modelBytes: Uint8Array,
  signature: ModelSignature,
  options: OnnxPredictorOptions = {},
): Promise<Predictor> {
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(modelBytes, {
      intraOpNumThreads: options.intraOpThreads ?? 1,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
    });
  } catch (error) {
    throw new InferenceError(`ONNX Runtime could not load the model: ${runtimeMessage(error)}`);
  }
  const required = signature.sequence ? [signature.sequence.output] : signature.outputs;
  const missing = required.filter((name) => !session.outputNames.includes(name));
  if (session.inputNames.length !== 1 || missing.length > 0) {
    await session.release();
    throw new InferenceError(
      `expects an ONNX model with one input and the outputs [${required.join(', ')}], ` +
        `but got inputs [${session.inputNames.join(', ')}] and outputs [${session.outputNames.join(', ')}]`,
    );
  }
  return new OnnxPredictor(session, signature);
}
