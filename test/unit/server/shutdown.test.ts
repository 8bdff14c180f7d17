import { EventEmitter } from 'node:events';
import { onShutdownSignal, type ShutdownStep } from '../../../src/server/shutdown';

/** Installs a shutdown on a private signal source; resolves with the exit code and what was logged. */
function harness(teardown: (step: ShutdownStep) => Promise<void>, timeoutMs = 1_000) {
  const signals = new EventEmitter();
  const clock = { ms: 0 };
  const logged: string[] = [];
  let exited!: (code: number) => void;
  const exit = new Promise<number>((resolve) => (exited = resolve));
  const codes: number[] = [];
  onShutdownSignal(teardown, {
    timeoutMs,
    signals,
    now: () => clock.ms,
    log: (message) => logged.push(message),
    exit: (code) => {
      codes.push(code);
      exited(code);
    },
  });
  return { signals, logged, exit, codes, clock };
}

const never = () => new Promise<void>(() => {});

it('runs every step in order and exits 0', async () => {
  const ran: string[] = [];
  const h = harness(async (step) => {
    await step('http', async () => void ran.push('http'));
    await step('pool', async () => void ran.push('pool'));
  });
  h.signals.emit('SIGTERM');
  expect(await h.exit).toBe(0);
  expect(ran).toEqual(['http', 'pool']);
  expect(h.logged[0]).toBe('SIGTERM: shutting down (within 1 s; signal again to exit at once)');
});

it('runs the later steps after one fails, names the failure, and exits 1', async () => {
  const ran: string[] = [];
  const h = harness(async (step) => {
    await step('the job worker', async () => {
      throw new Error('queue gone');
    });
    await step('the database pool', async () => void ran.push('pool'));
  });
  h.signals.emit('SIGINT');
  expect(await h.exit).toBe(1);
  expect(ran).toEqual(['pool']);
  expect(h.logged).toContain('shutdown: the job worker: queue gone');
});

it('names the step still running when the bound passes, and exits 1', async () => {
  const h = harness(async (step) => {
    await step('the HTTP server', async () => {});
    await step('the embedded Postgres', never);
  }, 200);
  h.signals.emit('SIGINT');
  expect(await h.exit).toBe(1);
  expect(h.logged.at(-1)).toBe('shutdown: the embedded Postgres did not finish within 0.2 s (KYBERNET_SHUTDOWN_TIMEOUT_MS); exiting');
});

it('exits at once on a second signal, with the signal’s code', async () => {
  const h = harness(async (step) => step('the job worker (running jobs)', never), 60_000);
  h.signals.emit('SIGINT');
  h.clock.ms += 800;
  h.signals.emit('SIGINT');
  expect(await h.exit).toBe(130);
  expect(h.logged).toEqual(['SIGINT: shutting down (within 60 s; Ctrl-C again to exit at once)', 'SIGINT again: exiting at once']);
});

it('answers SIGTERM after SIGINT with 143', async () => {
  const h = harness(async (step) => step('slow', never), 60_000);
  h.signals.emit('SIGINT');
  h.signals.emit('SIGTERM');
  expect(await h.exit).toBe(143);
});

it('takes the same signal again within half a second as the same Ctrl-C (the terminal’s and the one npm run forwards), and shuts down', async () => {
  let finish!: () => void;
  const h = harness(async (step) => step('the embedded Postgres', () => new Promise<void>((resolve) => (finish = resolve))), 60_000);
  h.signals.emit('SIGINT');
  h.clock.ms += 3;
  h.signals.emit('SIGINT');
  finish();
  expect(await h.exit).toBe(0);
  expect(h.codes).toEqual([0]);
  expect(h.logged).toEqual(['SIGINT: shutting down (within 60 s; Ctrl-C again to exit at once)']);
});
