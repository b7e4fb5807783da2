/**
 * Writes small ONNX graphs by hand: the glue between real models in a pipeline (scaling,
 * reshaping, windowing), so that a pipeline's intermediate tensors can stay inside a connection.
 * These graphs have no learned weights: only constants that say which elements go where.
 */

/** An input or output of a graph: a float tensor of a fixed shape. */
export interface GraphValue {
  name: string;
  dims: readonly number[];
}

/** A constant of a graph. */
export interface GraphConstant {
  name: string;
  dims: readonly number[];
  /** `float32` values, or `int64` ones (indices, shapes, axes). */
  values: Float32Array | readonly number[];
}

/** One operator of a graph. */
export interface GraphNode {
  op: string;
  inputs: readonly string[];
  outputs: readonly string[];
  ints?: Record<string, number>;
}

/** A whole graph to encode. */
export interface Graph {
  name: string;
  inputs: readonly GraphValue[];
  outputs: readonly GraphValue[];
  constants: readonly GraphConstant[];
  nodes: readonly GraphNode[];
}

const FLOAT = 1;
const INT64 = 7;
const OPSET = 17;
const IR_VERSION = 8;

/** The graph as ONNX model bytes (protobuf), ready for `getModel({ source })`. */
export function encodeGraph(graph: Graph): Uint8Array {
  const body = [
    ...graph.nodes.map((node, i) => field(1, encodeNode(node, `${node.op}_${i}`))),
    field(2, utf8(graph.name)),
    ...graph.constants.map((c) => field(5, encodeConstant(c))),
    ...graph.inputs.map((v) => field(11, encodeValue(v))),
    ...graph.outputs.map((v) => field(12, encodeValue(v))),
  ];
  return concat([
    varintField(1, IR_VERSION),
    field(2, utf8('webaccel glue')),
    field(7, concat(body)),
    field(8, concat([field(1, utf8('')), varintField(2, OPSET)])),
  ]);
}

function encodeNode(node: GraphNode, name: string): Uint8Array {
  return concat([
    ...node.inputs.map((input) => field(1, utf8(input))),
    ...node.outputs.map((output) => field(2, utf8(output))),
    field(3, utf8(name)),
    field(4, utf8(node.op)),
    ...Object.entries(node.ints ?? {}).map(([key, value]) =>
      field(5, concat([field(1, utf8(key)), varintField(3, value), varintField(20, 2)])),
    ),
  ]);
}

function encodeConstant({ name, dims, values }: GraphConstant): Uint8Array {
  const raw =
    values instanceof Float32Array
      ? new Uint8Array(values.buffer, values.byteOffset, values.byteLength)
      : new Uint8Array(BigInt64Array.from(values, (v) => BigInt(v)).buffer);
  return concat([
    ...dims.map((d) => varintField(1, d)),
    varintField(2, values instanceof Float32Array ? FLOAT : INT64),
    field(8, utf8(name)),
    field(9, raw),
  ]);
}

function encodeValue({ name, dims }: GraphValue): Uint8Array {
  const shape = concat(dims.map((d) => field(1, varintField(1, d))));
  const tensorType = concat([varintField(1, FLOAT), field(2, shape)]);
  return concat([field(1, utf8(name)), field(2, field(1, tensorType))]);
}

function field(number: number, bytes: Uint8Array): Uint8Array {
  return concat([varint((number << 3) | 2), varint(bytes.length), bytes]);
}

function varintField(number: number, value: number): Uint8Array {
  return concat([varint(number << 3), varint(value)]);
}

/** Base-128 varint; negative values as 64-bit two's complement, as protobuf's int64 wants. */
function varint(value: number): Uint8Array {
  let v = BigInt.asUintN(64, BigInt(value));
  const bytes: number[] = [];
  do {
    const low = Number(v & 0x7fn);
    v >>= 7n;
    bytes.push(v === 0n ? low : low | 0x80);
  } while (v !== 0n);
  return Uint8Array.from(bytes);
}

function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
