import { decodeFloatArray } from '../../../src/db/float-array';

/** array_send's layout, built by hand: ndim, has-nulls, element oid, length, lower bound, then (size, bytes) per element. */
function arraySend(oid: number, values: (number | null)[]): Buffer {
  const width = oid === 700 ? 4 : 8;
  const parts = [Buffer.alloc(20)];
  parts[0].writeInt32BE(1, 0);
  parts[0].writeInt32BE(values.includes(null) ? 1 : 0, 4);
  parts[0].writeUInt32BE(oid, 8);
  parts[0].writeInt32BE(values.length, 12);
  parts[0].writeInt32BE(1, 16);
  for (const value of values) {
    const element = Buffer.alloc(value === null ? 4 : 4 + width);
    element.writeInt32BE(value === null ? -1 : width, 0);
    if (value !== null) {
      if (width === 4) element.writeFloatBE(value, 4);
      else element.writeDoubleBE(value, 4);
    }
    parts.push(element);
  }
  return Buffer.concat(parts);
}

describe('decodeFloatArray', () => {
  it('reads real[] as float32 values, NaN included, NULL as NaN', () => {
    const decoded = decodeFloatArray(arraySend(700, [1.5, -0.1, NaN, null, 3e38]));
    expect(Array.from(decoded)).toEqual([1.5, Math.fround(-0.1), NaN, NaN, Math.fround(3e38)]);
  });

  it('reads double precision[] exactly', () => {
    expect(Array.from(decodeFloatArray(arraySend(701, [0.1, -1e-300, 12345.678])))).toEqual([0.1, -1e-300, 12345.678]);
  });

  it('reads an empty array', () => {
    const empty = Buffer.alloc(12);
    empty.writeUInt32BE(700, 8);
    expect(decodeFloatArray(empty)).toHaveLength(0);
  });

  it('refuses arrays of other types or shapes', () => {
    expect(() => decodeFloatArray(arraySend(23, [1]))).toThrow('expects real or double precision elements, but got type oid 23');
    const twoDimensional = arraySend(700, [1]);
    twoDimensional.writeInt32BE(2, 0);
    expect(() => decodeFloatArray(twoDimensional)).toThrow('expects a one-dimensional array, but got 2 dimensions');
  });
});
