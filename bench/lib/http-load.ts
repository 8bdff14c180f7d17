/**
 * Closed-loop HTTP load from a worker thread (its own event loop, so the server under test in the main
 * thread is not measured against its own client): `concurrency` clients each send the same POST body
 * back to back until `requests` have been answered. Latencies are per request, in milliseconds.
 */
import { Agent, request } from 'node:http';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';

export interface LoadSpec {
  url: string;
  key: string;
  body: string;
  concurrency: number;
  requests: number;
  warmup: number;
}

export interface LoadResult {
  latenciesMs: number[];
  seconds: number;
  errors: number;
}

async function drive(spec: LoadSpec): Promise<LoadResult> {
  // node:http with keep-alive: a lighter client than fetch, so the client's own cost stays small.
  const agent = new Agent({ keepAlive: true, maxSockets: spec.concurrency });
  const body = Buffer.from(spec.body);
  const headers = { 'content-type': 'application/json', 'content-length': body.length, authorization: `Bearer ${spec.key}` };
  const send = () =>
    new Promise<boolean>((resolve, reject) => {
      const call = request(spec.url, { method: 'POST', headers, agent }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve(response.statusCode === 200 && !(JSON.parse(Buffer.concat(chunks).toString()) as { errors?: unknown[] }).errors),
        );
      });
      call.on('error', reject);
      call.end(body);
    });
  // The warm-up runs at the measured concurrency, so the measurement starts on open connections.
  let warmed = 0;
  await Promise.all(
    Array.from({ length: spec.concurrency }, async () => {
      while (warmed < spec.warmup) {
        warmed++;
        await send();
      }
    }),
  );
  const latenciesMs: number[] = [];
  let errors = 0;
  let issued = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: spec.concurrency }, async () => {
      while (issued < spec.requests) {
        issued++;
        const t0 = performance.now();
        if (!(await send())) errors++;
        latenciesMs.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  return { latenciesMs, seconds, errors };
}

export function runLoad(spec: LoadSpec): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(__filename, { workerData: spec, execArgv: ['--require', '@swc-node/register'] });
    worker.once('message', resolve);
    worker.once('error', reject);
  });
}

if (!isMainThread && workerData) {
  drive(workerData as LoadSpec).then((result) => parentPort!.postMessage(result));
}
