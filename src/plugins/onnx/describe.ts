/**
 * Reads what an ONNX file declares (inputs, outputs, opsets) without running it, to check a model
 * before it is imported: `describeOnnxModel` refuses bytes that are not an ONNX model, and
 * `tabularInputWidth` checks the one-float-tensor-[N, width] input that tabular predictors feed.
 */
import { onnx } from 'onnx-proto';
import { InvalidInputError } from '../../lib/errors';

/** A dimension: a fixed size, a symbolic name ("N", "batch"), or null when the file leaves it open. */
export type DescribedDim = number | string | null;

export interface DescribedValue {
  name: string;
  /** The tensor element type in lower case ('float', 'double', 'int64', …), or the kind of a non-tensor value ('sequence', 'map'). */
  elemType: string;
  /** null when the file declares no shape (any rank). */
  shape: DescribedDim[] | null;
}

export interface OnnxModelDescription {
  irVersion: number;
  producer: string;
  opsets: Record<string, number>;
  /** Graph inputs that are fed at run time (initializers listed as inputs by old exporters are left out). */
  inputs: DescribedValue[];
  outputs: DescribedValue[];
  metadata: Record<string, string>;
}

const elementTypeNames = onnx.TensorProto.DataType as unknown as Record<number, string>;

function describeValue(info: onnx.IValueInfoProto): DescribedValue {
  const type = info.type;
  const name = info.name ?? '';
  if (!type?.tensorType) {
    const kind = type?.sequenceType ? 'sequence' : type?.mapType ? 'map' : type?.optionalType ? 'optional' : 'unknown';
    return { name, elemType: kind, shape: null };
  }
  const elemType = (elementTypeNames[type.tensorType.elemType ?? 0] ?? 'UNDEFINED').toLowerCase();
  const dims = type.tensorType.shape?.dim;
  const shape =
    type.tensorType.shape == null
      ? null
      : (dims ?? []).map((d): DescribedDim => (d.dimValue != null ? Number(d.dimValue) : d.dimParam ? d.dimParam : null));
  return { name, elemType, shape };
}

export function describeOnnxModel(bytes: Uint8Array): OnnxModelDescription {
  let model: onnx.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (error) {
    throw new InvalidInputError(
      `expects an ONNX model (a serialized onnx.ModelProto), but the ${bytes.length} bytes do not parse: ${(error as Error).message}`,
      { field: 'file' },
    );
  }
  const graph = model.graph;
  if (!graph || !Number(model.irVersion) || (graph.output ?? []).length === 0) {
    throw new InvalidInputError(
      `expects an ONNX model with an IR version and a graph with outputs, but got ${bytes.length} bytes without them`,
      { field: 'file' },
    );
  }
  const initializers = new Set((graph.initializer ?? []).map((t) => t.name));
  return {
    irVersion: Number(model.irVersion),
    producer: [model.producerName, model.producerVersion].filter(Boolean).join(' '),
    opsets: Object.fromEntries((model.opsetImport ?? []).map((o) => [o.domain ?? '', Number(o.version)])),
    inputs: (graph.input ?? []).filter((i) => !initializers.has(i.name ?? '')).map(describeValue),
    outputs: (graph.output ?? []).map(describeValue),
    metadata: Object.fromEntries((model.metadataProps ?? []).map((p) => [p.key ?? '', p.value ?? ''])),
  };
}

/**
 * The feature width of a model whose only input is a float tensor [N, width] (N symbolic or open).
 * When `expectedWidth` is given the declared width must equal it.
 */
export function tabularInputWidth(description: OnnxModelDescription, expectedWidth?: number): number {
  const shown = description.inputs.map((i) => `${i.name}: ${i.elemType}[${(i.shape ?? ['?']).join(', ')}]`).join('; ');
  const refuse = (expected: string) =>
    new InvalidInputError(`expects ${expected}, but the model declares inputs (${shown || 'none'})`, { field: 'file' });
  if (description.inputs.length !== 1) throw refuse('exactly one input, a float tensor [N, width]');
  const [input] = description.inputs;
  if (input.elemType !== 'float' || !input.shape || input.shape.length !== 2 || typeof input.shape[0] === 'number') {
    throw refuse('one float tensor input of shape [N, width] with a variable batch size N');
  }
  const width = input.shape[1];
  if (typeof width !== 'number' || width < 1) throw refuse('one float tensor input with a fixed feature width');
  if (expectedWidth !== undefined && width !== expectedWidth) {
    throw refuse(`an input width of ${expectedWidth} (one per feature name)`);
  }
  return width;
}
