/**
 * Small builders for ONNX graphs (onnx-proto): typed value infos, attributes, nodes, constant tensors
 * and the model assembler. Converters compose these: a preprocessing graph (Where/IsNaN/Abs …) in
 * front of a tree ensemble node, then `assembleModel` into the bytes onnxruntime loads.
 */
import { onnx } from 'onnx-proto';

/** ONNX IR version 8 (the newest onnx-proto knows); onnxruntime-node 1.30 reads it with these opsets. */
const IR_VERSION = 8;
const DEFAULT_OPSETS: Readonly<Record<string, number>> = { '': 17, 'ai.onnx.ml': 3 };
export const ML_DOMAIN = 'ai.onnx.ml';

/** A dimension is a fixed size or a symbolic name such as "N" (the batch). */
export type Dim = number | string;

export function floatTensorInfo(name: string, shape: Dim[]): onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: { dim: shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

export type AttributeValue = number | string | number[] | string[] | onnx.ITensorProto;

/**
 * An attribute with its ONNX type inferred from the value. Numbers are INT when `ints` names them,
 * FLOAT otherwise; arrays follow the same rule (an empty array needs `ints` to say which).
 */
function attribute(name: string, value: AttributeValue, isInt: boolean): onnx.IAttributeProto {
  const Type = onnx.AttributeProto.AttributeType;
  const text = (s: string) => new TextEncoder().encode(s);
  if (typeof value === 'string') return { name, type: Type.STRING, s: text(value) };
  if (typeof value === 'number') return isInt ? { name, type: Type.INT, i: value } : { name, type: Type.FLOAT, f: value };
  if (!Array.isArray(value)) return { name, type: Type.TENSOR, t: value };
  if (value.length > 0 && typeof value[0] === 'string') {
    return { name, type: Type.STRINGS, strings: (value as string[]).map(text) };
  }
  return isInt ? { name, type: Type.INTS, ints: value as number[] } : { name, type: Type.FLOATS, floats: value as number[] };
}

export interface NodeSpec {
  opType: string;
  inputs: string[];
  outputs: string[];
  name?: string;
  /** '' (ai.onnx, the default) or 'ai.onnx.ml'. */
  domain?: string;
  attributes?: Record<string, AttributeValue>;
  /** Names of numeric attributes that are integers (INT/INTS); the others are FLOAT/FLOATS. */
  ints?: string[];
}

export function node(spec: NodeSpec): onnx.INodeProto {
  const ints = new Set(spec.ints ?? []);
  return {
    opType: spec.opType,
    input: spec.inputs,
    output: spec.outputs,
    name: spec.name ?? spec.outputs[0],
    domain: spec.domain ?? '',
    attribute: Object.entries(spec.attributes ?? {}).map(([name, value]) => attribute(name, value, ints.has(name))),
  };
}

/** A float32 constant, e.g. per-feature masks or replacement values for a preprocessing graph. */
export function floatConstant(name: string, values: number[], dims: number[] = [values.length]): onnx.ITensorProto {
  return { name, dataType: onnx.TensorProto.DataType.FLOAT, dims, floatData: values };
}

/** A boolean constant (stored as int32 0/1, as ONNX does for BOOL). */
export function boolConstant(name: string, values: boolean[], dims: number[] = [values.length]): onnx.ITensorProto {
  return { name, dataType: onnx.TensorProto.DataType.BOOL, dims, int32Data: values.map((v) => (v ? 1 : 0)) };
}

/** A piece of graph: its nodes and constants, and the tensor it produces for the next piece. */
export interface GraphPart {
  nodes: onnx.INodeProto[];
  initializers?: onnx.ITensorProto[];
  output: string;
}

export interface ModelSpec {
  inputs: onnx.IValueInfoProto[];
  outputs: onnx.IValueInfoProto[];
  nodes: onnx.INodeProto[];
  initializers?: onnx.ITensorProto[];
  graphName?: string;
  opsets?: Record<string, number>;
  /** Stored as metadata_props, e.g. { feature_names: '["a","b"]' }. */
  metadata?: Record<string, string>;
  docString?: string;
}

export function assembleModel(spec: ModelSpec): Uint8Array {
  const opsets = spec.opsets ?? DEFAULT_OPSETS;
  const model = onnx.ModelProto.create({
    irVersion: IR_VERSION,
    producerName: 'kybernet',
    docString: spec.docString ?? '',
    opsetImport: Object.entries(opsets).map(([domain, version]) => ({ domain, version })),
    metadataProps: Object.entries(spec.metadata ?? {}).map(([key, value]) => ({ key, value })),
    graph: {
      name: spec.graphName ?? 'kybernet',
      input: spec.inputs,
      output: spec.outputs,
      node: spec.nodes,
      initializer: spec.initializers ?? [],
    },
  });
  return onnx.ModelProto.encode(model).finish();
}
