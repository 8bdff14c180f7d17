/**
 * A bounded soak (loopback only): predict and trade traffic at a fixed rate for SOAK_MINUTES (default
 * 10) against one server that also works the job queue, while the learning loop runs by itself:
 * closed trades trigger INCREMENTAL retraining, the scheduler runs drift checks, and the shadow tester
 * promotes or rejects each new version. Reported per minute: requests, errors, p50/p99 of `predict`
 * and of trade pairs, the process's RSS and the server's heap, open HTTP and Postgres connections,
 * jobs completed and failed, versions promoted and rejected, the ACTIVE version and the SHADOW count
 * at the minute's end, drift checks run and drift found; at the end, rows acknowledged against rows
 * stored, and whether memory stayed flat after the warm-up.
 *
 * The world. A model ("soak-returns", XGBoost, 4 features) is trained through the services from the
 * trade log: SEED_TRADES closed trades whose price return is 1 % × f0 plus 0.2 % noise. From the
 * start of the soak the market turns: the return follows the direction (cos θ, sin θ) on (f0, f1),
 * θ making a full circle every MARKET_TURN_MINUTES. So the ACTIVE version keeps going stale, and each
 * update learns the recent rows — which is what makes the product's own path promote.
 *
 * The product's own paths, made to act within a minute by the policy (POLICY):
 *   - retraining: every TRADES_PER_UPDATE closed trades queue an INCREMENTAL job (learning counter),
 *     which rebuilds the trade-log dataset and boosts the ACTIVE version on the rows after its data;
 *   - promotion: automatic, by the shadow tester, after 100 paired outcomes (at most 400) with the
 *     default improvement and significance thresholds; shadows score every request
 *     (shadow_scoring.sample_rate_under_load 1) so that they collect outcomes at the trade rate;
 *     health.critical_win_rate 0, because a CRITICAL drift stops automatic promotion until an
 *     operator acts, and a soak has no operator;
 *   - drift: the scheduler's drift check every 0.01 h (36 s), a DRIFT_CHECK job; drift it finds is
 *     answered as the policy says (PARTIAL or FULL retraining jobs).
 * The job worker runs in the server's process (concurrency 1, KYBERNET_TRAIN_THREADS=1, so that a
 * training leaves a core to serving).
 *
 * Traffic, open-loop from a worker thread (its own event loop, so the server in the main thread is
 * not measured against its own client): `predict` at SOAK_PREDICTS_PER_SECOND (default 200) and, from
 * a second in, trade pairs — `logTradeExecution` carrying the id of the latest answered prediction and
 * its features, then `logTradeOutcome` with the market's return — at SOAK_PAIRS_PER_SECOND (default
 * 20). Requests are sent at their scheduled times whatever earlier ones are doing, and latency runs
 * from the scheduled time to the answer, so a stall of the server (or of the client) counts against
 * every request it delayed (no coordinated omission). A request unanswered after REQUEST_TIMEOUT_MS is
 * an error. Errors are counted per minute; the first few distinct messages are kept, as are the
 * server's log lines (job logs, shadow tester, listener) by shape, and the errors of failed jobs.
 *
 * Sampled every second in the main thread (the server): process.memoryUsage(), the established TCP
 * connections on the server's port (/proc/net/tcp, so Linux only) and the Postgres backends on the
 * bench's database (pg_stat_activity); a minute's row gives the mean RSS and heap and the most
 * connections. RSS is the whole process (server, client thread, training threads); heap used is the
 * main thread's, i.e. the server's (the client thread's heap is reported beside it). The warm-up is
 * the first SOAK_WARMUP_MINUTES (default 1, at most a third of the run): JIT, pools, the first
 * sessions and shadows. The verdict fits a least-squares line to the samples after the warm-up:
 * flat when RSS grows less than
 * RSS_FLAT_MB_PER_MINUTE and the heap retained after each major collection (what a leak would grow)
 * less than HEAP_FLAT_MB_PER_MINUTE; heap used sampled every second, garbage included, is shown beside.
 * Acknowledged vs stored: the ids each answer returned, counted in the tables minute by minute (so the
 * client holds no growing list): predictions, trades executed, trades closed, and the request outcome
 * each closed trade wrote for its prediction.
 *
 *   node -r @swc-node/register bench/soak.ts      (DATABASE_URL: a Postgres server to use)
 *   SOAK_MINUTES=1.5 node -r @swc-node/register bench/soak.ts      (a short trial)
 */
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { PerformanceObserver, constants as perfConstants, type PerformanceEntry } from 'node:perf_hooks';
import { Worker, parentPort } from 'node:worker_threads';
import seedrandom from 'seedrandom';
import { linearRegression } from 'simple-statistics';
import { latencyPercentiles } from '../src/monitoring/performance';
import type { Services } from '../src/server/container';
import { startBenchApp } from './lib/bench-app';
import { runBench } from './lib/entry';
import { printTable, writeResults, type Row } from './lib/report';

const MINUTES = positive('SOAK_MINUTES', 10);
const PREDICTS_PER_SECOND = positive('SOAK_PREDICTS_PER_SECOND', 200);
const PAIRS_PER_SECOND = positive('SOAK_PAIRS_PER_SECOND', 20);
const WARMUP_MINUTES = Number(Math.min(positive('SOAK_WARMUP_MINUTES', 1), MINUTES / 3).toFixed(2));
const RSS_FLAT_MB_PER_MINUTE = 2;
const HEAP_FLAT_MB_PER_MINUTE = 1;
const REQUEST_TIMEOUT_MS = 30_000;
const MODEL = 'soak-returns';
const SYMBOL = 'SOAK';
const FEATURES = ['f0', 'f1', 'f2', 'f3'];
const SEED_TRADES = 2_000;
const TRADES_PER_UPDATE = 200;
const MARKET_TURN_MINUTES = 4;
/** Answered predictions a trade may pick from (the latest); older ones are never traded. */
const TRADABLE_PREDICTIONS = 100;
/** Trades start this long after the predictions, so that the first has a prediction to carry. */
const PAIRS_DELAY_MS = 1_000;
/** Distinct messages (by shape) kept per source. */
const KEPT_MESSAGES = 10;
const MB = 1024 * 1024;
const POLICY = {
  learning: { min_trades_for_update: TRADES_PER_UPDATE },
  auto_promote_threshold: { min_samples: 100, max_samples: 400 },
  shadow_scoring: { sample_rate_under_load: 1 },
  drift_detection: { check_interval_hours: 0.01 },
  health: { critical_win_rate: 0 },
};

function positive(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!(value > 0)) throw new Error(`${name} expects a positive number, but got ${process.env[name]}`);
  return value;
}

/** The market: the price return of a trade on `features`, `minutes` after the soak started. */
function marketReturn(features: number[], minutes: number, noise: number): number {
  const angle = (2 * Math.PI * Math.max(0, minutes)) / MARKET_TURN_MINUTES;
  return 0.01 * (Math.cos(angle) * features[0] + Math.sin(angle) * features[1]) + 0.002 * noise;
}

function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/** Messages counted by shape (ids and numbers blanked), with the first few shapes kept as they were. */
class MessageTally {
  total = 0;
  private readonly shapes = new Map<string, { example: string; count: number }>();

  add(message: string): void {
    this.total++;
    const shape = message.replace(/[0-9a-f]{8}-[0-9a-f-]{27}|\d+(\.\d+)?/gi, '#');
    const seen = this.shapes.get(shape);
    if (seen) seen.count++;
    else if (this.shapes.size < KEPT_MESSAGES) this.shapes.set(shape, { example: message.slice(0, 400), count: 1 });
  }

  messages(): { example: string; count: number }[] {
    return [...this.shapes.values()];
  }
}

// ---- The client (worker thread) ----

interface ClientSpec {
  url: string;
  key: string;
  /** Epoch ms at which the first requests are due. */
  startsAt: number;
}

/** What the client saw of the requests scheduled in one minute, once all of them were answered. */
interface ClientMinute {
  type: 'minute';
  minute: number;
  seconds: number;
  predictLatencies: number[];
  predictErrors: number;
  pairLatencies: number[];
  pairErrors: number;
  predictionIds: string[];
  executedTradeIds: string[];
  closedTradeIds: string[];
  clientHeapMb: number;
}

interface ClientDone {
  type: 'done';
  predictErrors: { example: string; count: number }[];
  pairErrors: { example: string; count: number }[];
}

interface Answer {
  data?: Record<string, { id?: string; value?: number; trade?: { id: string } }>;
  error?: string;
}

interface Tradable {
  id: string;
  features: number[];
  value: number;
}

const PREDICT = 'mutation($input: PredictInput!) { predict(input: $input) { id value } }';
const EXECUTION = 'mutation($input: LogTradeExecutionInput!) { logTradeExecution(input: $input) { id } }';
const OUTCOME = 'mutation($input: LogTradeOutcomeInput!) { logTradeOutcome(input: $input) { trade { id } } }';

async function drive(spec: ClientSpec): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const post = (query: string, variables: Record<string, unknown>) =>
    new Promise<Answer>((resolve) => {
      const body = Buffer.from(JSON.stringify({ query, variables }));
      const headers = { 'content-type': 'application/json', 'content-length': body.length, authorization: `Bearer ${spec.key}` };
      const call = request(spec.url, { method: 'POST', headers, agent }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          try {
            const answer = JSON.parse(Buffer.concat(chunks).toString()) as { data?: Answer['data']; errors?: { message: string }[] };
            resolve(
              response.statusCode === 200 && !answer.errors
                ? { data: answer.data }
                : { error: answer.errors?.[0]?.message ?? `HTTP ${response.statusCode}` },
            );
          } catch {
            resolve({ error: `HTTP ${response.statusCode}: an answer that is not JSON` });
          }
        });
        response.on('error', (error) => resolve({ error: error.message }));
      });
      call.setTimeout(REQUEST_TIMEOUT_MS, () => call.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms`)));
      call.on('error', (error) => resolve({ error: error.message }));
      call.end(body);
    });

  const random = seedrandom('bench:soak:client');
  const tradable: Tradable[] = [];
  const errors = { predict: new MessageTally(), pair: new MessageTally() };
  const origin = performance.now() + (spec.startsAt - Date.now());
  const durationMs = MINUTES * 60_000;
  /** The minutes whose requests are not all answered yet, by index; a reported minute is dropped. */
  const minutes = new Map<number, ClientMinute & { pending: Promise<void>[] }>();
  const minuteOf = (index: number) => {
    let minute = minutes.get(index);
    if (!minute) {
      const seconds = Math.round(Math.min(60, MINUTES * 60 - index * 60));
      minute = {
        type: 'minute',
        minute: index,
        seconds,
        predictLatencies: [],
        predictErrors: 0,
        pairLatencies: [],
        pairErrors: 0,
        predictionIds: [],
        executedTradeIds: [],
        closedTradeIds: [],
        clientHeapMb: 0,
        pending: [],
      };
      minutes.set(index, minute);
    }
    return minute;
  };
  type Minute = ReturnType<typeof minuteOf>;

  const predict = async (minute: Minute): Promise<string | undefined> => {
    const features = FEATURES.map(() => random() * 2 - 1);
    const answer = await post(PREDICT, { input: { model: MODEL, features } });
    const prediction = answer.data?.predict;
    if (!prediction?.id) return answer.error ?? 'predict answered without an id';
    minute.predictionIds.push(prediction.id);
    tradable.push({ id: prediction.id, features, value: prediction.value ?? 0 });
    if (tradable.length > TRADABLE_PREDICTIONS) tradable.shift();
    return undefined;
  };
  let tradeNumber = 0;
  const pair = async (minute: Minute, dueAtEpoch: number): Promise<string | undefined> => {
    const prediction = tradable.pop();
    if (!prediction) return 'no answered prediction to trade on';
    const clientTradeId = `soak-${tradeNumber++}`;
    const execution = {
      clientTradeId,
      symbol: SYMBOL,
      side: prediction.value >= 0 ? 'LONG' : 'SHORT',
      quantity: 10,
      entryPrice: 100,
      entryTime: new Date(dueAtEpoch - 60_000).toISOString(),
      predictionIds: [prediction.id],
      features: Object.fromEntries(FEATURES.map((name, j) => [name, prediction.features[j]])),
    };
    const executed = await post(EXECUTION, { input: execution });
    if (!executed.data?.logTradeExecution?.id) return executed.error ?? 'logTradeExecution answered without an id';
    minute.executedTradeIds.push(executed.data.logTradeExecution.id);
    const realised = marketReturn(prediction.features, (dueAtEpoch - spec.startsAt) / 60_000, gaussian(random));
    const outcome = { clientTradeId, exitPrice: 100 * (1 + realised), exitTime: new Date(dueAtEpoch).toISOString(), exitReason: 'TIME' };
    const closed = await post(OUTCOME, { input: outcome });
    if (!closed.data?.logTradeOutcome?.trade?.id) return closed.error ?? 'logTradeOutcome answered without a trade';
    minute.closedTradeIds.push(closed.data.logTradeOutcome.trade.id);
    return undefined;
  };

  /** Per stream: the time (ms from origin) before which every request due has been sent. */
  const sentUntil = [0, 0];
  /**
   * Stream `stream`: from `delayMs` after the origin to the end, `rate` requests per second, each sent
   * at its due time whatever the earlier ones are doing; its latency runs from the due time.
   */
  const schedule = (
    stream: number,
    rate: number,
    delayMs: number,
    send: (minute: Minute, dueAt: number) => Promise<string | undefined>,
    record: (minute: Minute, ms: number, error?: string) => void,
  ) => {
    const total = Math.floor(((durationMs - delayMs) * rate) / 1000);
    const offset = (n: number) => delayMs + (n * 1000) / rate;
    let n = 0;
    const tick = () => {
      for (; n < total && origin + offset(n) <= performance.now(); n++) {
        const due = origin + offset(n);
        const minute = minuteOf(Math.floor(offset(n) / 60_000));
        minute.pending.push(send(minute, due).then((error) => record(minute, performance.now() - due, error)));
      }
      sentUntil[stream] = n < total ? offset(n) : Infinity;
      if (n < total) setTimeout(tick, Math.max(0, origin + offset(n) - performance.now()));
    };
    setTimeout(tick, Math.max(0, origin - performance.now()));
  };
  schedule(0, PREDICTS_PER_SECOND, 0, predict, (minute, ms, error) => {
    minute.predictLatencies.push(ms);
    if (!error) return;
    minute.predictErrors++;
    errors.predict.add(error);
  });
  schedule(
    1,
    PAIRS_PER_SECOND,
    PAIRS_DELAY_MS,
    (minute, due) => pair(minute, spec.startsAt + (due - origin)),
    (minute, ms, error) => {
      minute.pairLatencies.push(ms);
      if (!error) return;
      minute.pairErrors++;
      errors.pair.add(error);
    },
  );
  // Each minute is reported once every request due in it has been sent and answered.
  for (let index = 0; index < Math.ceil(MINUTES); index++) {
    const end = Math.min(durationMs, (index + 1) * 60_000);
    while (Math.min(...sentUntil) < end) await new Promise((resolve) => setTimeout(resolve, 20));
    const minute = minuteOf(index);
    await Promise.all(minute.pending);
    const { pending, ...report } = minute;
    parentPort!.postMessage({ ...report, clientHeapMb: process.memoryUsage().heapUsed / MB } satisfies ClientMinute);
    minutes.delete(index);
  }
  agent.destroy();
  parentPort!.postMessage({
    type: 'done',
    predictErrors: errors.predict.messages(),
    pairErrors: errors.pair.messages(),
  } satisfies ClientDone);
}

// ---- The server side (main thread) ----

interface Sample {
  /** Minutes since the soak started. */
  at: number;
  rssMb: number;
  heapMb: number;
  httpConnections: number;
  pgConnections: number;
}

/** Established TCP connections whose local end is `port` on IPv4 loopback (the server's side), from /proc/net/tcp. */
function openConnections(port: number): number {
  const local = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  return readFileSync('/proc/net/tcp', 'utf8')
    .split('\n')
    .slice(1)
    .filter((line) => {
      const [, localAddress, , state] = line.trim().split(/\s+/);
      return localAddress?.endsWith(local) && state === '01';
    }).length;
}

async function pgConnections(services: Services): Promise<number> {
  const [{ n }] = await services.dataSource.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database()');
  return n;
}

/** Closed trades with features on the seed market (θ = 0), before the soak, without predictions. */
async function seedTrades(services: Services, before: number): Promise<void> {
  const random = seedrandom('bench:soak:seed');
  const trades = Array.from({ length: SEED_TRADES }, (_, i) => {
    const features = FEATURES.map(() => random() * 2 - 1);
    const exitTime = before - 120_000 - (SEED_TRADES - i) * 10_000;
    return { i, features, exitTime, realised: marketReturn(features, -1, gaussian(random)) };
  });
  for (let from = 0; from < trades.length; from += 8) {
    await Promise.all(
      trades.slice(from, from + 8).map(async ({ i, features, exitTime, realised }) => {
        const clientTradeId = `seed-${i}`;
        await services.trades.logTradeExecution({
          clientTradeId,
          symbol: SYMBOL,
          side: 'LONG',
          quantity: 10,
          entryPrice: 100,
          entryTime: new Date(exitTime - 60_000),
          features: Object.fromEntries(FEATURES.map((name, j) => [name, features[j]])),
        });
        await services.trades.logTradeOutcome({
          clientTradeId,
          exitPrice: 100 * (1 + realised),
          exitTime: new Date(exitTime),
          exitReason: 'TIME',
        });
      }),
    );
  }
}

/** The policy of the soak, the seed trades, their trade-log dataset, and version 1 trained on it and ACTIVE. */
async function setUp(services: Services, startsAt: number): Promise<void> {
  await services.policy.updatePolicy(POLICY, null);
  await services.registry.createRegisteredModel({ name: MODEL, family: 'xgboost' });
  await seedTrades(services, startsAt);
  await services.features.materializeTradesDataset({ name: 'soak-trades', spec: { symbols: [SYMBOL] } });
  const job = await services.training.trainModel({
    model: MODEL,
    dataset: 'soak-trades',
    targetColumn: 'price_return',
    featureColumns: FEATURES,
    orderColumn: 'entry_time',
    hyperparameters: { num_boost_round: 100, max_depth: 4 },
    activate: true,
  });
  for (;;) {
    const { status, error } = await services.jobs.getJob(job.id);
    if (status === 'COMPLETED') return;
    if (status === 'FAILED' || status === 'CANCELLED') throw new Error(`training version 1 ${status}: ${error}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** What the server and the database did in the minute [from, to). */
async function lifecycleIn(services: Services, from: number, to: number) {
  const [jobs] = await services.dataSource.query(
    `SELECT count(*) FILTER (WHERE status = 'COMPLETED' AND kind <> 'DRIFT_CHECK')::int AS retrained,
            count(*) FILTER (WHERE status = 'COMPLETED' AND kind = 'DRIFT_CHECK')::int AS drift_checks,
            count(*) FILTER (WHERE status = 'FAILED')::int AS failed
     FROM jobs WHERE finished_at >= $1 AND finished_at < $2`,
    [new Date(from), new Date(to)],
  );
  const [events] = await services.dataSource.query(
    `SELECT count(*) FILTER (WHERE type = 'model.promoted')::int AS promoted,
            count(*) FILTER (WHERE type = 'shadow.rejected')::int AS rejected,
            count(*) FILTER (WHERE type = 'drift.detected')::int AS drift_found
     FROM events WHERE created_at >= $1 AND created_at < $2`,
    [new Date(from), new Date(to)],
  );
  const [versions] = await services.dataSource.query(
    `SELECT count(*) FILTER (WHERE status = 'SHADOW')::int AS shadows, max(version) FILTER (WHERE status = 'ACTIVE')::int AS active FROM model_versions`,
  );
  return { ...jobs, ...events, ...versions } as Record<string, number>;
}

/** Of the acknowledged ids of one minute, how many the tables hold. */
async function storedOf(services: Services, minute: ClientMinute): Promise<Record<string, number>> {
  const count = async (sql: string, ids: string[]) => (ids.length ? Number((await services.dataSource.query(sql, [ids]))[0].n) : 0);
  return {
    predictions: await count('SELECT count(*) AS n FROM predictions WHERE id = ANY ($1::uuid[])', minute.predictionIds),
    executed: await count('SELECT count(*) AS n FROM trades WHERE id = ANY ($1::uuid[])', minute.executedTradeIds),
    closed: await count(`SELECT count(*) AS n FROM trades WHERE id = ANY ($1::uuid[]) AND status = 'CLOSED'`, minute.closedTradeIds),
    outcomes: await count('SELECT count(*) AS n FROM request_outcomes WHERE trade_id = ANY ($1::uuid[])', minute.closedTradeIds),
  };
}

function percentiles(latencies: number[]): { p50: number | string; p99: number | string } {
  if (latencies.length === 0) return { p50: '-', p99: '-' };
  const { p50, p99 } = latencyPercentiles(latencies);
  return { p50, p99 };
}

const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;

/** The last reading within minute `minute` of the soak ('-' without one). */
function lastInMinute(points: MemoryPoint[], minute: number): number | string {
  const inMinute = points.filter((point) => Math.floor(point.at) === minute);
  return inMinute.length ? inMinute[inMinute.length - 1].mb : '-';
}

/** A reading of one memory series: minutes since the soak started, and MB. */
interface MemoryPoint {
  at: number;
  mb: number;
}

/** Least-squares slope (MB per minute) of each series over its points after the warm-up. */
function memoryVerdict(series: [name: string, points: MemoryPoint[], boundMbPerMinute: number][]): Row[] {
  return series.map(([name, points, bound]) => {
    const settled = points.filter((point) => point.at >= WARMUP_MINUTES);
    if (settled.length < 2)
      return {
        series: name,
        slope_mb_per_minute: '-',
        bound_mb_per_minute: bound,
        first_mb: '-',
        last_mb: '-',
        verdict: 'no samples after the warm-up',
      };
    const span = settled[settled.length - 1].at - settled[0].at;
    const note = span < 2 ? ` (${span.toFixed(1)} min after the warm-up: indicative only)` : '';
    const { m } = linearRegression(settled.map((point) => [point.at, point.mb]));
    return {
      series: name,
      slope_mb_per_minute: m,
      bound_mb_per_minute: bound,
      first_mb: settled[0].mb,
      last_mb: settled[settled.length - 1].mb,
      verdict: `${m < bound ? 'flat' : 'GROWING'}${note}`,
    };
  });
}

/**
 * The server's heap right after each major (mark-sweep-compact) collection: what it retains. Heap used
 * sampled at other times also counts garbage not collected yet, whose amount rises and falls with the
 * collector's timing, so its slope says little about a leak.
 */
function heapAfterMajorCollections(startsAt: number): { points: MemoryPoint[]; stop(): void } {
  const points: MemoryPoint[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      if (
        (entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind !== perfConstants.NODE_PERFORMANCE_GC_MAJOR ||
        Date.now() < startsAt
      )
        continue;
      points.push({ at: (Date.now() - startsAt) / 60_000, mb: process.memoryUsage().heapUsed / MB });
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  return { points, stop: () => observer.disconnect() };
}

async function main(): Promise<void> {
  const serverLog = new MessageTally();
  let soaking = false; // the set-up's log lines are not the soak's
  const bench = await startBenchApp({
    worker: true,
    env: { KYBERNET_TRAIN_THREADS: '1' },
    log: (message) => soaking && serverLog.add(message),
  });
  try {
    const { services } = bench.app;
    console.error(`setting up: ${SEED_TRADES} seed trades, the trade-log dataset, version 1 of "${MODEL}"`);
    await setUp(services, Date.now());
    soaking = true;
    const startsAt = Date.now() + 1_000;
    console.error(
      `soak: ${MINUTES} min, predict ${PREDICTS_PER_SECOND}/s, trade pairs ${PAIRS_PER_SECOND}/s, warm-up ${WARMUP_MINUTES} min`,
    );

    const samples: Sample[] = [];
    const afterGc = heapAfterMajorCollections(startsAt);
    let sampling = false;
    const sampler = setInterval(() => {
      if (sampling || Date.now() < startsAt) return;
      sampling = true;
      const at = (Date.now() - startsAt) / 60_000;
      const { rss, heapUsed } = process.memoryUsage();
      const httpConnections = openConnections(bench.http.port);
      void pgConnections(services)
        .then((pg) => samples.push({ at, rssMb: rss / MB, heapMb: heapUsed / MB, httpConnections, pgConnections: pg }))
        .catch((error: Error) => serverLog.add(`sampling pg_stat_activity: ${error.message}`))
        .finally(() => (sampling = false));
    }, 1_000);

    const rows: Row[] = [];
    const stored = { predictions: [0, 0], executed: [0, 0], closed: [0, 0], outcomes: [0, 0] };
    const client = new Worker(__filename, {
      workerData: { url: bench.http.url, key: bench.keys.trader, startsAt } satisfies ClientSpec,
      execArgv: ['--require', '@swc-node/register'],
    });
    const done = await new Promise<ClientDone>((resolve, reject) => {
      let reporting = Promise.resolve();
      client.on('message', (message: ClientMinute | ClientDone) => {
        reporting = reporting
          .then(async () => {
            if (message.type === 'done') return resolve(message);
            const from = startsAt + message.minute * 60_000;
            const inMinute = samples.filter((sample) => Math.floor(sample.at) === message.minute);
            const lifecycle = await lifecycleIn(services, from, from + message.seconds * 1000);
            const found = await storedOf(services, message);
            stored.predictions[0] += message.predictionIds.length;
            stored.executed[0] += message.executedTradeIds.length;
            stored.closed[0] += message.closedTradeIds.length;
            stored.outcomes[0] += message.closedTradeIds.length;
            for (const key of Object.keys(stored) as (keyof typeof stored)[]) stored[key][1] += found[key];
            const predict = percentiles(message.predictLatencies);
            const pairs = percentiles(message.pairLatencies);
            const row: Row = {
              minute: message.minute + 1,
              seconds: message.seconds,
              predicts: message.predictLatencies.length,
              predict_errors: message.predictErrors,
              predict_p50_ms: predict.p50,
              predict_p99_ms: predict.p99,
              pairs: message.pairLatencies.length,
              pair_errors: message.pairErrors,
              pair_p50_ms: pairs.p50,
              pair_p99_ms: pairs.p99,
              rss_mb: inMinute.length ? mean(inMinute.map((sample) => sample.rssMb)) : '-',
              heap_mb: inMinute.length ? mean(inMinute.map((sample) => sample.heapMb)) : '-',
              heap_after_gc_mb: lastInMinute(afterGc.points, message.minute),
              client_heap_mb: message.clientHeapMb,
              http_conns: inMinute.length ? Math.max(...inMinute.map((sample) => sample.httpConnections)) : '-',
              pg_conns: inMinute.length ? Math.max(...inMinute.map((sample) => sample.pgConnections)) : '-',
              jobs_done: lifecycle.retrained,
              jobs_failed: lifecycle.failed,
              promoted: lifecycle.promoted,
              rejected: lifecycle.rejected,
              active_now: `v${lifecycle.active}`,
              shadows_now: lifecycle.shadows,
              drift_checks: lifecycle.drift_checks,
              drift_found: lifecycle.drift_found,
            };
            rows.push(row);
            console.error(
              Object.entries(row)
                .map(([key, value]) => `${key} ${typeof value === 'number' && !Number.isInteger(value) ? value.toFixed(1) : value}`)
                .join(', '),
            );
          })
          .catch(reject);
      });
      client.once('error', reject);
    });
    clearInterval(sampler);

    const acknowledged = (Object.entries(stored) as [string, number[]][]).map(([rowsOf, [acked, found]]) => ({
      rows: {
        predictions: 'predictions (ACTIVE answers)',
        executed: 'trades executed',
        closed: 'trades closed',
        outcomes: 'request outcomes of closed trades',
      }[rowsOf]!,
      acknowledged: acked,
      stored: found,
      missing: acked - found,
    }));
    const versions: { status: string; n: number }[] = await services.dataSource.query(
      `SELECT v.status, count(*)::int AS n FROM model_versions v GROUP BY v.status ORDER BY v.status`,
    );
    const jobs: { kind: string; status: string; n: number }[] = await services.dataSource.query(
      `SELECT kind, status, count(*)::int AS n FROM jobs GROUP BY kind, status ORDER BY kind, status`,
    );
    const drift: { severity: string; n: number }[] = await services.dataSource.query(
      `SELECT severity, count(*)::int AS n FROM drift_events GROUP BY severity ORDER BY severity`,
    );
    const failedJobs: { kind: string; error: string }[] = await services.dataSource.query(
      `SELECT kind, error FROM jobs WHERE status = 'FAILED' ORDER BY finished_at LIMIT ${KEPT_MESSAGES}`,
    );
    afterGc.stop();
    const memory = memoryVerdict([
      ['RSS (process)', samples.map((sample) => ({ at: sample.at, mb: sample.rssMb })), RSS_FLAT_MB_PER_MINUTE],
      ['heap after major GCs (server)', afterGc.points, HEAP_FLAT_MB_PER_MINUTE],
      [
        'heap used, sampled (server; garbage included)',
        samples.map((sample) => ({ at: sample.at, mb: sample.heapMb })),
        HEAP_FLAT_MB_PER_MINUTE,
      ],
    ]);

    printTable(
      `soak: ${MINUTES} min, predict ${PREDICTS_PER_SECOND}/s and trade pairs ${PAIRS_PER_SECOND}/s open-loop (latency from the scheduled time), per minute`,
      rows,
    );
    printTable('acknowledged by the server vs stored', acknowledged);
    printTable(`memory after the ${WARMUP_MINUTES}-minute warm-up (least-squares slope of 1 Hz samples)`, memory);
    console.log(`\nversions: ${versions.map((v) => `${v.status} ${v.n}`).join(', ')}`);
    console.log(`jobs: ${jobs.map((j) => `${j.kind} ${j.status} ${j.n}`).join(', ')}`);
    console.log(`drift events: ${drift.map((d) => `${d.severity} ${d.n}`).join(', ') || 'none'}`);
    const errors = {
      predict: done.predictErrors,
      pairs: done.pairErrors,
      serverLog: { lines: serverLog.total, messages: serverLog.messages() },
      failedJobs,
    };
    for (const [source, messages] of [
      ['predict', done.predictErrors],
      ['trade pairs', done.pairErrors],
      [`server log (${serverLog.total} lines)`, serverLog.messages()],
    ] as const) {
      for (const { example, count } of messages) console.log(`${source}: ${count} × ${example}`);
    }
    for (const { kind, error } of failedJobs) console.log(`failed ${kind} job: ${error}`);
    console.log(
      `\nwrote ${writeResults('soak', {
        minutes: MINUTES,
        predictsPerSecond: PREDICTS_PER_SECOND,
        pairsPerSecond: PAIRS_PER_SECOND,
        warmupMinutes: WARMUP_MINUTES,
        policy: POLICY,
        perMinute: rows,
        acknowledged,
        memory,
        versions,
        jobs,
        driftEvents: drift,
        errors,
        samples,
      })}`,
    );
  } finally {
    await bench.close();
  }
}

runBench(main, (data) => void drive(data as ClientSpec));
