/**
 * Version-4 UUIDs in bulk, as 16 bytes each (for binary COPY) and as their text (for answers): one
 * draw from the CSPRNG for the whole block, instead of a randomUUID() per row and a parse of each
 * string back into bytes.
 */
import { randomFillSync } from 'node:crypto';

export interface UuidBlock {
  /** 16 bytes per id, id i at 16·i. */
  bytes: Buffer;
  ids: string[];
}

const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));

export function randomUuids(count: number): UuidBlock {
  const bytes = randomFillSync(Buffer.allocUnsafe(16 * count));
  const ids = new Array<string>(count);
  for (let i = 0, o = 0; i < count; i++, o += 16) {
    bytes[o + 6] = (bytes[o + 6] & 0x0f) | 0x40; // version 4
    bytes[o + 8] = (bytes[o + 8] & 0x3f) | 0x80; // RFC 4122 variant
    const h = (k: number) => HEX[bytes[o + k]];
    ids[i] = `${h(0)}${h(1)}${h(2)}${h(3)}-${h(4)}${h(5)}-${h(6)}${h(7)}-${h(8)}${h(9)}-${h(10)}${h(11)}${h(12)}${h(13)}${h(14)}${h(15)}`;
  }
  return { bytes, ids };
}
