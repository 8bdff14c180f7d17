/**
 * Helpers for a family's round/epoch loop: let a pending abort arrive, then stop with an AbortError.
 */

/** Resolves on the next turn of the event loop, after pending I/O and timers (an abort, a cancel message). */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Throws a DOMException named "AbortError" when `signal` is aborted; `where` says where training stopped,
 * e.g. "before boosting round 12 of 100".
 */
export function throwIfAborted(signal: AbortSignal, where: string): void {
  if (!signal.aborted) return;
  const reason = signal.reason instanceof Error ? `: ${signal.reason.message}` : '';
  throw new DOMException(`training aborted ${where}${reason}`, 'AbortError');
}
