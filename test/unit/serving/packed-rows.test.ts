import { InvalidInputError } from '../../../src/lib/errors';
import { decodePackedRows, packRows } from '../../../src/serving/packed-rows';
import type { ModelSignature } from '../../../src/plugins/contract';
import { batchRows, checkPackedRows, MAX_BATCH_ROWS } from '../../../src/serving/serving.service';

const signature = (allowsMissing: boolean): ModelSignature => ({
  task: 'regression',
  inputWidth: 2,
  outputs: ['prediction'],
  allowsMissing,
});
const names = ['a', 'b'];

describe('packed rows', () => {
  it('packs rows as little-endian float32 base64 and decodes them back (null as NaN)', () => {
    const packed = packRows([
      [1.5, null],
      [-2, 0.1],
    ]);
    expect(Buffer.from(packed, 'base64').toString('hex')).toBe('0000c03f' + '0000c07f' + '000000c0' + 'cdcccc3d');
    const { values, rows } = decodePackedRows(packed, 2);
    expect(rows).toBe(2);
    expect(Array.from(values)).toEqual([1.5, NaN, -2, Math.fround(0.1)]);
  });

  it('refuses text that is not base64, and bytes that are not whole rows', () => {
    const packed = packRows([[1, 2]]);
    expect(() => decodePackedRows(packed.replace(/^./, '*'), 2)).toThrow(/expects packedRows in base64/);
    expect(() => decodePackedRows(packRows([[1, 2, 3]]), 2)).toThrow(
      new InvalidInputError('expects packedRows to hold whole rows of 2 float32 values (8 bytes each), but got 12 bytes'),
    );
    expect(() => decodePackedRows('', 2)).toThrow(/but got 0 bytes/);
  });

  it('refuses infinities always and NaN where the model takes no missing values, naming row and feature', () => {
    const values = Float32Array.of(1, 2, 3, NaN);
    expect(() => checkPackedRows(values, signature(true), names)).not.toThrow();
    expect(() => checkPackedRows(values, signature(false), names)).toThrow(
      new InvalidInputError('packedRows: row 1, feature "b" is missing (NaN), but this model does not accept missing values'),
    );
    expect(() => checkPackedRows(Float32Array.of(1, 2, -Infinity, 0), signature(true), names)).toThrow(
      new InvalidInputError('packedRows: row 1, feature "a" expects a finite float32, but got -Infinity'),
    );
  });

  it('takes rows or packedRows, not both or neither, and at most MAX_BATCH_ROWS of either', () => {
    const rows = [
      [1, 2],
      [3, 4],
    ];
    expect(Array.from(batchRows({ model: 'm', rows }, signature(false), names).values)).toEqual([1, 2, 3, 4]);
    expect(Array.from(batchRows({ model: 'm', packedRows: packRows(rows) }, signature(false), names).values)).toEqual([1, 2, 3, 4]);
    expect(() => batchRows({ model: 'm', rows, packedRows: packRows(rows) }, signature(false), names)).toThrow(
      new InvalidInputError('expects rows or packedRows, but got both'),
    );
    expect(() => batchRows({ model: 'm' }, signature(false), names)).toThrow(
      new InvalidInputError('expects rows or packedRows, but got neither'),
    );
    const tooMany = Array.from({ length: MAX_BATCH_ROWS + 1 }, () => [0, 0]);
    expect(() => batchRows({ model: 'm', packedRows: packRows(tooMany) }, signature(false), names)).toThrow(
      `expects at most ${MAX_BATCH_ROWS} rows per batch, but got ${MAX_BATCH_ROWS + 1}`,
    );
    expect(() => batchRows({ model: 'm', rows: tooMany }, signature(false), names)).toThrow(
      `expects at most ${MAX_BATCH_ROWS} rows per batch, but got ${MAX_BATCH_ROWS + 1}`,
    );
  });
});
