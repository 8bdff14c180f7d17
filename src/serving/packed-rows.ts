/**
 * Feature rows in their compact wire form: base64 of little-endian float32 values, row after row
 * (`predictBatch`'s `packedRows`). A 10,000 × 64 batch is 3.4 MB of one JSON string instead of 12 MB
 * of JSON numbers, which the server would otherwise parse (≈ 70 ms), coerce one by one through
 * GraphQL and convert to float32 again — longer than scoring the batch.
 */
import { endianness } from 'node:os';
import { InvalidInputError } from '../lib/errors';

const LITTLE_ENDIAN_HOST = endianness() === 'LE';

/** Whether `text` decoded to all the bytes its length promises: the decoder skips characters outside the alphabet, so they shorten it. */
function isBase64Of(text: string, bytes: number): boolean {
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  return bytes === Math.floor((text.length * 3) / 4) - padding;
}

/** The float32 values of `base64`, which must hold whole rows of `width` values. */
export function decodePackedRows(base64: string, width: number): { values: Float32Array; rows: number } {
  const bytes = Buffer.from(base64, 'base64');
  if (!isBase64Of(base64, bytes.length)) {
    throw new InvalidInputError('expects packedRows in base64 (A–Z, a–z, 0–9, +, /, with = padding), but got other characters', {
      field: 'packedRows',
    });
  }
  const rowBytes = 4 * width;
  if (bytes.length === 0 || bytes.length % rowBytes !== 0) {
    throw new InvalidInputError(
      `expects packedRows to hold whole rows of ${width} float32 values (${rowBytes} bytes each), but got ${bytes.length} bytes`,
      { field: 'packedRows' },
    );
  }
  const count = bytes.length / 4;
  let values: Float32Array;
  if (LITTLE_ENDIAN_HOST) {
    values = new Float32Array(count);
    new Uint8Array(values.buffer).set(bytes);
  } else {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    values = Float32Array.from({ length: count }, (_, i) => view.getFloat32(4 * i, true));
  }
  return { values, rows: bytes.length / rowBytes };
}

/** The packed form of `rows` (null = missing, sent as NaN): what a client sends as packedRows. */
export function packRows(rows: readonly (readonly (number | null)[])[]): string {
  const width = rows[0]?.length ?? 0;
  const view = new DataView(new ArrayBuffer(4 * width * rows.length));
  rows.forEach((row, r) => row.forEach((value, j) => view.setFloat32(4 * (r * width + j), value ?? NaN, true)));
  return Buffer.from(view.buffer).toString('base64');
}
