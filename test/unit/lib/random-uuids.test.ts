import { randomUuids } from '../../../src/serving/random-uuids';

describe('randomUuids', () => {
  it('gives distinct version-4 UUIDs whose text spells their bytes', () => {
    const { bytes, ids } = randomUuids(1000);
    expect(new Set(ids).size).toBe(1000);
    for (const [i, id] of ids.entries()) {
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(id.replace(/-/g, '')).toBe(bytes.subarray(16 * i, 16 * (i + 1)).toString('hex'));
    }
  });
});
