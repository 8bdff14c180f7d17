/** Small, seeded test inputs and waits shared by integration tests. */
import seedrandom from 'seedrandom';
import { JobDocument, type JobQuery } from '../generated/graphql';
import type { TestApp } from './app';
import { dataOf } from './graphql';

/** Rows { t, f0..f3, y } where y depends on f0 and f1 (with noise); ~3% of f3 missing. */
export function syntheticRows(count: number, seed: number): Record<string, number | null>[] {
  const random = seedrandom(String(seed));
  const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  return Array.from({ length: count }, (_, t) => {
    const f = [normal(), normal(), normal(), normal()];
    return {
      t,
      f0: f[0],
      f1: f[1],
      f2: f[2],
      f3: random() < 0.03 ? null : f[3],
      y: 0.8 * f[0] - 0.5 * f[1] + 0.3 * f[0] * f[1] + 0.1 * normal(),
    };
  });
}

type Job = JobQuery['job'];

/** Polls job(id) until it has finished. */
export async function waitForJob(t: TestApp, id: string, timeoutMs = 60_000): Promise<Job> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { job } = dataOf(await t.as('viewer')(JobDocument, { id }));
    if (job.status === 'COMPLETED' || job.status === 'FAILED' || job.status === 'CANCELLED') return job;
    if (Date.now() > deadline) throw new Error(`job ${id} still ${job.status} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
