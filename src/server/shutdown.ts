/**
 * Stopping a long-running command (serve, worker, demo) on SIGINT or SIGTERM, within a bound: the
 * command's teardown runs as named steps; the process exits 0 when they all end, 1 when one failed,
 * and 1 naming the step still running when the bound passes. A second signal exits at once (130 for
 * SIGINT, 143 for SIGTERM), for the operator who will not wait — except the same signal again within
 * SAME_PRESS_MS: that is one Ctrl-C delivered twice, since a terminal sends it to the whole foreground
 * process group and `npm run` forwards the one it got to its child as well (without this, Ctrl-C on
 * `npm run demo` skipped the shutdown and left the embedded Postgres running).
 */
export type ShutdownStep = (name: string, run: () => Promise<void>) => Promise<void>;

export interface ShutdownOptions {
  timeoutMs: number;
  log?: (message: string) => void;
  /** Ends the process, and where the signals come from; tests of this module pass their own. */
  exit?: (code: number) => void;
  signals?: NodeJS.EventEmitter;
  /** Milliseconds of a monotonic clock; tests of this module pass their own. */
  now?: () => number;
}

const SAME_PRESS_MS = 500;

const SIGNAL_EXIT_CODES: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };

export function onShutdownSignal(teardown: (step: ShutdownStep) => Promise<void>, options: ShutdownOptions): void {
  const log = options.log ?? ((message: string) => console.error(message));
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const now = options.now ?? (() => performance.now());
  let stopping: { signal: NodeJS.Signals; at: number } | undefined;
  let bound: NodeJS.Timeout | undefined;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) {
      if (signal === stopping.signal && now() - stopping.at < SAME_PRESS_MS) return;
      clearTimeout(bound);
      log(`${signal} again: exiting at once`);
      return exit(SIGNAL_EXIT_CODES[signal] ?? 1);
    }
    stopping = { signal, at: now() };
    const seconds = options.timeoutMs / 1000;
    log(`${signal}: shutting down (within ${seconds} s; ${signal === 'SIGINT' ? 'Ctrl-C' : 'signal'} again to exit at once)`);
    let current = 'the first step';
    let failed = false;
    bound = setTimeout(() => {
      log(`shutdown: ${current} did not finish within ${seconds} s (KYBERNET_SHUTDOWN_TIMEOUT_MS); exiting`);
      exit(1);
    }, options.timeoutMs);
    const step: ShutdownStep = async (name, run) => {
      current = name;
      try {
        await run();
      } catch (error) {
        failed = true;
        log(`shutdown: ${name}: ${error instanceof Error ? error.message : String(error)}`);
      }
    };
    void teardown(step)
      .catch((error: unknown) => {
        failed = true;
        log(`shutdown: ${error instanceof Error ? error.message : String(error)}`);
      })
      .then(() => {
        clearTimeout(bound);
        exit(failed ? 1 : 0);
      });
  };
  const signals = options.signals ?? process;
  signals.on('SIGINT', () => handler('SIGINT'));
  signals.on('SIGTERM', () => handler('SIGTERM'));
}
