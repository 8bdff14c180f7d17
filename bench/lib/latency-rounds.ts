/**
 * HTTP cases measured in interleaved rounds (every case once per round, in order), so that a stall of
 * this 2-core machine — a checkpoint, the client, Postgres and the server sharing the cores — lands in
 * one round's figures rather than in one case's. The first round warms up longer: the first thousands of
 * requests still run code V8 has not optimised yet. Each case's p50, p99 and rate are medians over rounds.
 */
import { latencyPercentiles } from '../../src/monitoring/performance';
import { runLoad } from './http-load';

export interface LoadCase {
  case: string;
  body: string;
  concurrency: number;
  requests: number;
}

export interface RoundFigures {
  p50: number[];
  p99: number[];
  perSecond: number[];
  errors: number;
}

export const median = (values: number[]) => latencyPercentiles(values).p50;

export async function measureInRounds(
  target: { url: string; key: string },
  cases: LoadCase[],
  rounds: number,
  warmup: { first: number; later: number },
): Promise<{ rows: Record<string, string | number>[]; perRound: RoundFigures[] }> {
  const perRound: RoundFigures[] = cases.map(() => ({ p50: [], p99: [], perSecond: [], errors: 0 }));
  for (let round = 0; round < rounds; round++) {
    for (const [i, spec] of cases.entries()) {
      const result = await runLoad({
        ...target,
        body: spec.body,
        concurrency: spec.concurrency,
        requests: spec.requests,
        warmup: round === 0 ? warmup.first : warmup.later,
      });
      const { p50, p99 } = latencyPercentiles(result.latenciesMs);
      perRound[i].p50.push(p50);
      perRound[i].p99.push(p99);
      perRound[i].perSecond.push(result.latenciesMs.length / result.seconds);
      perRound[i].errors += result.errors;
    }
  }
  const rows = cases.map((spec, i) => ({
    case: spec.case,
    concurrency: spec.concurrency,
    requests: spec.requests * rounds,
    errors: perRound[i].errors,
    p50_ms: median(perRound[i].p50),
    p99_ms: median(perRound[i].p99),
    worst_round_p99_ms: Math.max(...perRound[i].p99),
    per_second: Math.round(median(perRound[i].perSecond)),
  }));
  return { rows, perRound };
}
