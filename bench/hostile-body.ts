/**
 * What a 99 MB JSON body (33 million `{}`) costs the server: sent without a key (answered 401 from
 * the headers, its body never read) beside the baseline of the same body sent with an operator's key
 * (read and scanned until the JSON element bound refuses it: the cost that checking the key first
 * avoids), and of no attack at all. Three attacker connections in a separate process send such
 * bodies back to back for each case, while a `{ __typename }` probe runs one call at a time; the
 * table has the probe's p50/p99, the server's event-loop delay p99, its resident memory growth, and
 * how long each attack request took to be answered.
 *
 *   node -r @swc-node/register bench/hostile-body.ts      (DATABASE_URL: a Postgres server to use)
 */
import { spawn } from 'node:child_process';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { latencyPercentiles } from '../src/monitoring/performance';
import { startBenchApp } from './lib/bench-app';
import { printTable, writeResults } from './lib/report';
import { runBench } from './lib/entry';

const CASE_SECONDS = 8;
const ATTACKERS = 3;
const BODY_BYTES = 99 * 1024 * 1024;

/**
 * Each attacker connection POSTs a 99 MB array of {} (64 KB chunks, as fast as the socket drains), again as soon as it is
 * answered; prints each answer's ms.
 */
const ATTACKER = `
const http = require('node:http');
const [url, authorization, bytes, seconds, connections] = process.argv.slice(1);
const chunk = Buffer.from('{},'.repeat(21845));
const until = Date.now() + Number(seconds) * 1000;
function attack() {
  if (Date.now() > until) return;
  const started = Date.now();
  let sent = 0, answered = false;
  const headers = { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) };
  const req = http.request(url, { method: 'POST', headers, agent: false });
  req.on('response', (res) => {
    answered = true;
    res.resume();
    res.on('end', () => { process.stdout.write((Date.now() - started) + ' ' + res.statusCode + '\\n'); attack(); });
  });
  req.on('error', () => {
    if (!answered) { answered = true; process.stdout.write((Date.now() - started) + ' reset\\n'); attack(); }
  });
  const write = () => {
    while (!answered && sent < Number(bytes)) {
      sent += chunk.length;
      if (!req.write(sent === chunk.length ? Buffer.concat([Buffer.from('['), chunk]) : chunk)) return void req.once('drain', write);
    }
    if (!answered) req.end(']');
  };
  write();
}
for (let i = 0; i < Number(connections); i++) attack();
`;

function runAttackers(url: string, authorization: string): { done: Promise<{ ms: number; status: string }[]> } {
  const child = spawn(process.execPath, ['-e', ATTACKER, url, authorization, String(BODY_BYTES), String(CASE_SECONDS), String(ATTACKERS)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const done = new Promise<{ ms: number; status: string }[]>((resolve) =>
    child.once('close', () =>
      resolve(
        output
          .trim()
          .split('\n')
          .filter(Boolean)
          .map((line) => {
            const [ms, status] = line.split(' ');
            return { ms: Number(ms), status };
          }),
      ),
    ),
  );
  return { done };
}

async function probe(url: string, key: string, seconds: number): Promise<number[]> {
  const latencies: number[] = [];
  const until = performance.now() + seconds * 1000;
  const body = JSON.stringify({ query: '{ __typename }' });
  while (performance.now() < until) {
    const t = performance.now();
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body,
    });
    await response.arrayBuffer();
    latencies.push(performance.now() - t);
  }
  return latencies;
}

async function main(): Promise<void> {
  const bench = await startBenchApp();
  try {
    const { url } = bench.http;
    const cases = [
      { case: 'no attack (baseline)', authorization: null as string | null },
      { case: 'no key: 401 from the headers', authorization: '' },
      { case: 'operator key: body read until the JSON bound (baseline)', authorization: `Bearer ${bench.keys.operator}` },
    ];
    await probe(url, bench.keys.viewer, 1); // warm-up
    const rows = [];
    for (const spec of cases) {
      global.gc?.();
      const rssBefore = process.memoryUsage().rss;
      let rssPeak = rssBefore;
      const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 50);
      const loop = monitorEventLoopDelay({ resolution: 10 });
      loop.enable();
      const attack = spec.authorization === null ? undefined : runAttackers(url, spec.authorization);
      const latencies = await probe(url, bench.keys.viewer, CASE_SECONDS);
      const answers = (await attack?.done) ?? [];
      loop.disable();
      clearInterval(sampler);
      const probeMs = latencyPercentiles(latencies);
      const answerMs = answers.length ? latencyPercentiles(answers.map((answer) => answer.ms)) : undefined;
      rows.push({
        case: spec.case,
        attack_requests: answers.length,
        answers: [...new Set(answers.map((answer) => answer.status))].join('/') || '-',
        attack_answer_p50_ms: answerMs ? answerMs.p50 : '-',
        probe_calls: latencies.length,
        probe_p50_ms: probeMs.p50,
        probe_p99_ms: probeMs.p99,
        event_loop_p99_ms: loop.percentile(99) / 1e6,
        rss_growth_mb: (rssPeak - rssBefore) / 1024 / 1024,
      });
    }
    printTable(
      `a 99 MB JSON body, ${ATTACKERS} attacker connections back to back for ${CASE_SECONDS} s per case, beside a { __typename } probe (one call at a time)`,
      rows,
    );
    console.log(
      `\nwrote ${writeResults('hostile-body', { caseSeconds: CASE_SECONDS, attackers: ATTACKERS, bodyBytes: BODY_BYTES, rows })}`,
    );
  } finally {
    await bench.close();
  }
}

runBench(main);
