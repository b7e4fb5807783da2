import type { Tensor } from 'onnxruntime-common';
import type { WireTensor, WireTensors } from './protocol';

/** Anything shaped like an onnxruntime tensor on the CPU. */
export interface TensorLike {
  readonly type: Tensor.Type;
  readonly data: Tensor.DataTypeMap[Tensor.Type];
  readonly dims: readonly number[];
}

/** A constructor for tensors, onnxruntime-common's or a bundled onnxruntime-web's. */
export type TensorConstructor = new (
  type: Tensor.Type,
  data: Tensor.DataTypeMap[Tensor.Type],
  dims: readonly number[],
) => Tensor;

/** Plain copies of tensors' fields, ready to cross a boundary. */
export function toWireTensors(tensors: Readonly<Record<string, TensorLike>>): WireTensors {
  const wire: WireTensors = {};
  for (const [name, tensor] of Object.entries(tensors)) wire[name] = toWireTensor(tensor);
  return wire;
}

/** A plain copy of one tensor's fields. */
export function toWireTensor(tensor: TensorLike): WireTensor {
  return { type: tensor.type, data: tensor.data, dims: [...tensor.dims] };
}

/** Tensors rebuilt from wire form with the given constructor. */
export function fromWireTensors(
  wire: WireTensors,
  TensorClass: TensorConstructor,
): Record<string, Tensor> {
  const tensors: Record<string, Tensor> = {};
  for (const [name, t] of Object.entries(wire)) tensors[name] = new TensorClass(t.type, t.data, t.dims);
  return tensors;
}

/**
 * The buffers a reply can hand over instead of copying: each tensor's whole buffer, once, and only
 * when the tensor's data spans all of it (a view into a larger buffer would hand over too much).
 */
export function transferablesOf(wire: WireTensors): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  for (const { data } of Object.values(wire)) {
    if (Array.isArray(data) || !ArrayBuffer.isView(data)) continue;
    const buffer = data.buffer;
    if (buffer instanceof ArrayBuffer && data.byteLength === buffer.byteLength) buffers.add(buffer);
  }
  return [...buffers];
}

/** Element count of a shape. */
export function elementCount(dims: readonly number[]): number {
  return dims.reduce((count, dim) => count * dim, 1);
}

