/**
 * Postgres' binary COPY format (https://www.postgresql.org/docs/current/sql-copy.html, "Binary
 * Format"), for `COPY … FROM STDIN (FORMAT binary)`: bulk loads in which numbers travel as their
 * bytes, so nothing formats them as decimals on this side or parses them on the server's — most of
 * the cost of a text bulk load or of a statement with array parameters.
 *
 *   header   "PGCOPY\n\377\r\n\0", flags int32 0, header-extension length int32 0
 *   tuple    field count int16, then per field: byte length int32 (−1 for NULL) and the value in the
 *            type's binary send format, big-endian
 *   trailer  int16 −1
 *
 * `CopyEncoder` writes the frame and the field types Kybernet loads (int4, int8 timestamps, float4,
 * float8, uuid, text, one-dimensional real[]); `copyInto` streams encoded buffers into a COPY. A large
 * load can be handed over in parts as they are encoded (`take`), so that the server inserts the first
 * rows while the next are still being produced.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
/** Signature, flags and header-extension length. */
export const COPY_HEADER_BYTES = SIGNATURE.length + 8;
export const COPY_TRAILER_BYTES = 2;
/** 2000-01-01T00:00:00Z in Unix milliseconds: Postgres' timestamp epoch. */
const POSTGRES_EPOCH_MS = 946_684_800_000;
const TWO_TO_32 = 2 ** 32;
/** pg_type oid of float4, named in the header of a binary real[]. */
const FLOAT4_OID = 700;
/** Bytes of a one-dimensional array's header: ndim, flags, element oid, dimension length, lower bound. */
const ARRAY_HEADER_BYTES = 20;

/** Bytes a one-dimensional real[] of `length` elements takes as a field (its length word included). */
export const float4ArrayFieldBytes = (length: number): number => 4 + (length === 0 ? 12 : ARRAY_HEADER_BYTES + 8 * length);

export class CopyEncoder {
  private buffer: Buffer;
  private view: DataView;
  private at = 0;

  /** `expectedBytes`: the size of the whole stream when known (it grows as needed otherwise). */
  constructor(expectedBytes = 64 * 1024) {
    this.buffer = Buffer.allocUnsafe(Math.max(expectedBytes, COPY_HEADER_BYTES + COPY_TRAILER_BYTES));
    this.view = new DataView(this.buffer.buffer, this.buffer.byteOffset, this.buffer.byteLength);
    this.at = SIGNATURE.copy(this.buffer, 0);
    this.view.setInt32(this.at, 0);
    this.view.setInt32(this.at + 4, 0);
    this.at += 8;
  }

  /** Starts a tuple of `fields` fields. */
  tuple(fields: number): this {
    this.reserve(2);
    this.view.setInt16(this.at, fields);
    this.at += 2;
    return this;
  }

  null(): this {
    this.reserve(4);
    this.view.setInt32(this.at, -1);
    this.at += 4;
    return this;
  }

  int4(value: number): this {
    this.reserve(8);
    this.view.setInt32(this.at, 4);
    this.view.setInt32(this.at + 4, value);
    this.at += 8;
    return this;
  }

  float4(value: number): this {
    this.reserve(8);
    this.view.setInt32(this.at, 4);
    this.view.setFloat32(this.at + 4, value);
    this.at += 8;
    return this;
  }

  float8(value: number): this {
    this.reserve(12);
    this.view.setInt32(this.at, 8);
    this.view.setFloat64(this.at + 4, value);
    this.at += 12;
    return this;
  }

  /** timestamptz from Unix milliseconds: int8 microseconds since 2000-01-01 UTC. */
  timestamptz(unixMs: number): this {
    this.reserve(12);
    // Microseconds fit a double exactly (|µs| < 2^53 for any date of this millennium and the last);
    // split into two 32-bit words, the high one signed, for an int64 in two's complement.
    const micros = (unixMs - POSTGRES_EPOCH_MS) * 1000;
    const high = Math.floor(micros / TWO_TO_32);
    this.view.setInt32(this.at, 8);
    this.view.setInt32(this.at + 4, high);
    this.view.setUint32(this.at + 8, micros - high * TWO_TO_32);
    this.at += 12;
    return this;
  }

  /** A uuid from its 16 bytes at `offset` of `bytes`. */
  uuid(bytes: Uint8Array, offset = 0): this {
    this.reserve(20);
    this.view.setInt32(this.at, 16);
    const target = this.buffer;
    for (let i = 0, at = this.at + 4; i < 16; i++) target[at + i] = bytes[offset + i];
    this.at += 20;
    return this;
  }

  text(value: string): this {
    const length = Buffer.byteLength(value);
    this.reserve(4 + length);
    this.view.setInt32(this.at, length);
    this.buffer.write(value, this.at + 4, length, 'utf8');
    this.at += 4 + length;
    return this;
  }

  /** A one-dimensional real[] of `values[from, to)` (NaN stays NaN). */
  float4Array(values: ArrayLike<number>, from = 0, to = values.length): this {
    const length = to - from;
    const bytes = float4ArrayFieldBytes(length);
    this.reserve(bytes);
    const view = this.view;
    let at = this.at;
    view.setInt32(at, bytes - 4);
    view.setInt32(at + 4, length === 0 ? 0 : 1); // dimensions
    view.setInt32(at + 8, 0); // flags: no NULL elements
    view.setInt32(at + 12, FLOAT4_OID);
    at += 16;
    if (length > 0) {
      view.setInt32(at, length);
      view.setInt32(at + 4, 1); // lower bound
      at += 8;
      for (let i = from; i < to; i++, at += 8) {
        view.setInt32(at, 4);
        view.setFloat32(at + 4, values[i]);
      }
    }
    this.at = at;
    return this;
  }

  /** The bytes encoded since the last `take` (the header first): a part of the stream, to send now. */
  take(expectedBytes = this.buffer.length): Buffer {
    const part = this.buffer.subarray(0, this.at);
    this.buffer = Buffer.allocUnsafe(Math.max(expectedBytes, COPY_TRAILER_BYTES));
    this.view = new DataView(this.buffer.buffer, this.buffer.byteOffset, this.buffer.byteLength);
    this.at = 0;
    return part;
  }

  /** The rest of the stream with its trailer; the encoder is done. */
  finish(): Buffer {
    this.reserve(COPY_TRAILER_BYTES);
    this.view.setInt16(this.at, -1);
    this.at += COPY_TRAILER_BYTES;
    return this.buffer.subarray(0, this.at);
  }

  private reserve(bytes: number): void {
    if (this.at + bytes <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(2 * this.buffer.length, this.at + bytes));
    this.buffer.copy(grown, 0, 0, this.at);
    this.buffer = grown;
    this.view = new DataView(grown.buffer, grown.byteOffset, grown.byteLength);
  }
}

/**
 * Runs `sql` (a `COPY … FROM STDIN (FORMAT binary)`) on `client` with the parts of `stream` as its
 * input, in order. When producing a part throws, the COPY is abandoned (nothing of it is written)
 * and the error rethrown.
 */
export async function copyInto(client: PoolClient, sql: string, stream: Buffer | Iterable<Buffer> | AsyncIterable<Buffer>): Promise<void> {
  await pipeline(Readable.from(Buffer.isBuffer(stream) ? [stream] : stream), client.query(copyFrom(sql)));
}
