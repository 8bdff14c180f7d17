import { COPY_HEADER_BYTES, CopyEncoder, float4ArrayFieldBytes } from '../../../src/db/binary-copy';

const HEADER = '5047434f50590aff0d0a00' + '00000000' + '00000000';

describe('CopyEncoder', () => {
  it('writes each field type as Postgres binary COPY expects it', () => {
    const copy = new CopyEncoder(8); // grows as needed
    const uuid = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
    copy
      .tuple(7)
      .int4(-2)
      .float4(1.5)
      .float8(-0.25)
      .null()
      .uuid(Buffer.concat([Buffer.alloc(3), uuid]), 3)
      .text('é')
      .timestamptz(Date.UTC(2000, 0, 1, 0, 0, 0, 2));
    const hex = copy.finish().toString('hex');
    expect(hex).toBe(
      HEADER +
        '0007' +
        '00000004' +
        'fffffffe' +
        '00000004' +
        '3fc00000' +
        '00000008' +
        'bfd0000000000000' +
        'ffffffff' +
        '00000010' +
        '00112233445566778899aabbccddeeff' +
        '00000002' +
        'c3a9' +
        '00000008' +
        '00000000000007d0' +
        'ffff',
    );
  });

  it('writes a one-dimensional real[] (header, dimension, elements; NaN kept) and an empty one', () => {
    const copy = new CopyEncoder();
    copy
      .tuple(2)
      .float4Array(Float32Array.of(9, 1, NaN, 9), 1, 3)
      .float4Array([]);
    const hex = copy.finish().toString('hex');
    const array = '00000001' + '00000000' + '000002bc' + '00000002' + '00000001' + '00000004' + '3f800000' + '00000004' + '7fc00000';
    const empty = '00000000' + '00000000' + '000002bc';
    expect(hex).toBe(HEADER + '0002' + '00000024' + array + '0000000c' + empty + 'ffff');
    expect(float4ArrayFieldBytes(2)).toBe(4 + 0x24);
    expect(float4ArrayFieldBytes(0)).toBe(4 + 0x0c);
  });

  it('hands the stream over in parts: the header with the first, the trailer with the last', () => {
    const copy = new CopyEncoder();
    copy.tuple(1).int4(1);
    const first = copy.take();
    copy.tuple(1).int4(2);
    const last = copy.finish();
    expect(first.length).toBe(COPY_HEADER_BYTES + 10);
    expect(Buffer.concat([first, last]).toString('hex')).toBe(
      HEADER + '0001' + '00000004' + '00000001' + '0001' + '00000004' + '00000002' + 'ffff',
    );
  });
});
