import fc from 'fast-check';
import { nextIntervalSlot, slotSingletonKey } from '../../../src/platform/schedules/schedule-slots';

const HOUR = 3_600_000;

describe('nextIntervalSlot', () => {
  it('fires every 6 hours at 00:00, 06:00, 12:00 and 18:00 UTC', () => {
    expect(new Date(nextIntervalSlot(Date.parse('2025-03-08T05:59:59.999Z'), 6 * HOUR)).toISOString()).toBe('2025-03-08T06:00:00.000Z');
    expect(new Date(nextIntervalSlot(Date.parse('2025-03-08T06:00:00.000Z'), 6 * HOUR)).toISOString()).toBe('2025-03-08T12:00:00.000Z');
    expect(new Date(nextIntervalSlot(Date.parse('2025-03-08T23:10:00.000Z'), 6 * HOUR)).toISOString()).toBe('2025-03-09T00:00:00.000Z');
  });

  it('gives every replica the same slot for any instant inside one period, strictly after it', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 4_000_000_000_000 }),
        fc.integer({ min: 1, max: 48 * HOUR }),
        fc.integer({ min: 0, max: 48 * HOUR }),
        (now, period, jitter) => {
          const slot = nextIntervalSlot(now, period);
          expect(slot).toBeGreaterThan(now);
          expect(slot - now).toBeLessThanOrEqual(period);
          expect(slot % period).toBe(0);
          // Another replica looking a little later, but before the slot, computes the same slot.
          const later = Math.min(now + jitter, slot - 1);
          expect(nextIntervalSlot(later, period)).toBe(slot);
        },
      ),
    );
  });

  it('refuses a period that is not positive', () => {
    expect(() => nextIntervalSlot(0, 0)).toThrow('expects a positive period, but got 0');
    expect(() => nextIntervalSlot(0, Number.NaN)).toThrow('expects a positive period');
  });
});

describe('slotSingletonKey', () => {
  it('names the schedule and the slot instant', () => {
    expect(slotSingletonKey('full_retraining', new Date('2025-03-08T23:00:00Z'))).toBe('schedule:full_retraining:2025-03-08T23:00:00.000Z');
  });
});
