/**
 * Slots of recurring schedules: the instants a schedule fires at, computed the same way in every
 * replica, so that a firing seen by several processes names one slot (and so one singleton key).
 * Pure: no I/O.
 */

/**
 * The first slot strictly after `nowMs` of a schedule firing every `periodMs`, aligned to the Unix
 * epoch (an every-6-hours schedule fires at 00:00, 06:00, 12:00 and 18:00 UTC).
 */
export function nextIntervalSlot(nowMs: number, periodMs: number): number {
  if (!(periodMs > 0) || !Number.isFinite(periodMs)) throw new RangeError(`expects a positive period, but got ${periodMs}`);
  return (Math.floor(nowMs / periodMs) + 1) * periodMs;
}

/** The singleton key of what the firing of schedule `name` at `slot` enqueues. */
export function slotSingletonKey(name: string, slot: Date): string {
  return `schedule:${name}:${slot.toISOString()}`;
}
