import { randomUUID } from 'node:crypto';
import { sampledForShadows } from '../../../src/serving/serving.service';

describe('sampledForShadows', () => {
  const ids = Array.from({ length: 20_000 }, (_, i) => (i % 2 ? randomUUID() : `order-${i}`));

  it('scores every request at rate 1 and none at rate 0', () => {
    expect(ids.every((id) => sampledForShadows(id, 1))).toBe(true);
    expect(ids.some((id) => sampledForShadows(id, 0))).toBe(false);
  });

  it('scores close to the rate, for random and for sequential request ids', () => {
    for (const rate of [0.1, 0.25, 0.5]) {
      const share = ids.filter((id) => sampledForShadows(id, rate)).length / ids.length;
      expect(Math.abs(share - rate)).toBeLessThan(0.015); // 20,000 draws: 3 standard errors ≈ 0.01
    }
  });

  it('decides by request id alone, so every shadow scores the same requests, and a lower rate a subset of a higher one', () => {
    expect(ids.map((id) => sampledForShadows(id, 0.25))).toEqual(ids.map((id) => sampledForShadows(id, 0.25)));
    expect(ids.filter((id) => sampledForShadows(id, 0.1)).every((id) => sampledForShadows(id, 0.25))).toBe(true);
  });
});
