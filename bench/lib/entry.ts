/**
 * A benchmark's entry point: `main` runs in the main thread, and a failure prints its error and exits 1
 * (a benchmark that half-ran must not look like one that finished). A benchmark that drives its load
 * from worker threads started on its own file passes `worker`, which runs there with the workerData.
 */
import { isMainThread, workerData } from 'node:worker_threads';

export function runBench(main: () => Promise<void>, worker?: (data: unknown) => void): void {
  if (!isMainThread) {
    if (worker && workerData) worker(workerData);
    return;
  }
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
