/**
 * The scheduler: runs in every process (API and worker) and fires each registered task at the times
 * the policy says — a cron expression in the policy's time zone (node-cron) or every N hours (slots
 * aligned to the Unix epoch). Every replica fires every slot; what a firing does must therefore be
 * idempotent per slot, which `slot.singletonKey` makes easy: a job enqueued with it exists once
 * however many replicas fire (JobsService.enqueue returns the existing job for a known key).
 *
 * Registering a task (from the composition root, server/app.ts):
 *
 *   scheduler.register({
 *     name: 'drift_check',                                   // [a-z0-9_.-], unique
 *     timing: (policy) => ({ everyHours: policy.drift_detection.check_interval_hours }),
 *     run: (slot) => jobs.enqueue({ kind: 'DRIFT_CHECK', trigger: 'SCHEDULE', singletonKey: slot.singletonKey, … }),
 *   });
 *
 * `timing` is read again whenever the policy changes (`policy.updated`, from any process), and the task
 * is re-armed when its timing changed; returning null turns the task off. `run` is called once per
 * firing in this process; a throw is logged and does not stop later firings. `fire(name, time)` runs
 * a firing for a given slot on demand (operators, tests).
 */
import cron, { type ScheduledTask as CronTask } from 'node-cron';
import type { Policy } from '../../config/policy';
import type { KybernetEvent } from '../events/event-types';
import { ConflictError, InvalidInputError, NotFoundError } from '../../lib/errors';
import { nextIntervalSlot, slotSingletonKey } from './schedule-slots';
import type { PolicyService } from '../policy/policy.service';

/** When a task fires: a five-field cron expression in the policy's time zone, or every N hours. */
export type Timing = { cron: string } | { everyHours: number };

/** One firing of a task. */
export interface ScheduleSlot {
  task: string;
  /** The instant the firing is for (not when it ran): the same in every replica. */
  time: Date;
  /** `schedule:{task}:{time ISO}` — enqueue with it (or a key derived from it) so replicas enqueue once. */
  singletonKey: string;
  /** The policy in force when the firing ran. */
  policy: Policy;
}

export interface ScheduledTask {
  name: string;
  /** A sentence for operators: what a firing does. */
  description?: string;
  timing(policy: Policy): Timing | null;
  run(slot: ScheduleSlot): Promise<unknown>;
}

export interface ScheduleState {
  name: string;
  description: string;
  timing: Timing | null;
  timezone: string;
  nextFiring: Date | null;
}

interface Armed {
  /** Identifies the timing the task is armed with, to tell whether a new policy changes it. */
  signature: string;
  next(): Date | null;
  stop(): void;
}

const TASK_NAME = /^[a-z0-9][a-z0-9_.-]{0,63}$/;
/** setTimeout's longest delay; longer waits are chained. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

export class Scheduler {
  private readonly tasks = new Map<string, ScheduledTask>();
  private readonly armed = new Map<string, Armed>();
  private started = false;
  private rescheduling: Promise<void> = Promise.resolve();

  constructor(
    private readonly policy: PolicyService,
    private readonly log: (message: string) => void,
  ) {}

  /** Adds a task; when the scheduler is running it is armed at once. */
  register(task: ScheduledTask): void {
    if (!TASK_NAME.test(task.name))
      throw new InvalidInputError(`expects a task name of a-z, 0-9, _ . - (up to 64), but got ${JSON.stringify(task.name)}`, {
        field: 'name',
      });
    if (this.tasks.has(task.name)) throw new ConflictError(`a scheduled task named "${task.name}" is already registered`);
    this.tasks.set(task.name, task);
    if (this.started) void this.reschedule();
  }

  async start(): Promise<void> {
    this.started = true;
    await this.reschedule();
  }

  async stop(): Promise<void> {
    this.started = false;
    await this.rescheduling;
    for (const armed of this.armed.values()) armed.stop();
    this.armed.clear();
  }

  /** Event-stream listener: re-reads every task's timing when any process updates the policy. */
  readonly onEvent = (event: KybernetEvent): void => {
    if (event.type === 'policy.updated' && this.started) void this.reschedule();
  };

  /** Re-arms every task whose timing under the current policy differs from the armed one. Serialised. */
  reschedule(): Promise<void> {
    this.rescheduling = this.rescheduling.then(() => this.armAll()).catch((error) => this.log(`scheduler: ${(error as Error).message}`));
    return this.rescheduling;
  }

  /** Runs the firing of `name` for the slot `time` now, as the timer would have. */
  async fire(name: string, time: Date): Promise<unknown> {
    const task = this.tasks.get(name);
    if (!task) throw new NotFoundError(`no scheduled task named "${name}"`, { field: 'name' });
    const policy = await this.policy.document();
    return task.run({ task: name, time, singletonKey: slotSingletonKey(name, time), policy });
  }

  /** Every task with its timing and next firing in this process. */
  async states(): Promise<ScheduleState[]> {
    const policy = await this.policy.document();
    await this.rescheduling;
    return [...this.tasks.values()].map((task) => ({
      name: task.name,
      description: task.description ?? '',
      timing: task.timing(policy),
      timezone: policy.timezone,
      nextFiring: this.armed.get(task.name)?.next() ?? null,
    }));
  }

  private async armAll(): Promise<void> {
    if (!this.started) return;
    const policy = await this.policy.document();
    for (const task of this.tasks.values()) {
      const timing = task.timing(policy);
      const signature = timing ? JSON.stringify({ ...timing, timezone: 'cron' in timing ? policy.timezone : undefined }) : 'off';
      const current = this.armed.get(task.name);
      if (current?.signature === signature) continue;
      current?.stop();
      this.armed.delete(task.name);
      if (!timing) continue;
      const fire = (time: Date) => {
        this.fire(task.name, time).catch((error) =>
          this.log(`scheduled task ${task.name} (${time.toISOString()}): ${(error as Error).message}`),
        );
      };
      this.armed.set(task.name, {
        signature,
        ...('cron' in timing ? this.armCron(task.name, timing.cron, policy.timezone, fire) : armInterval(timing.everyHours, fire)),
      });
      this.log(
        `scheduler: ${task.name} armed (${'cron' in timing ? `${timing.cron} ${policy.timezone}` : `every ${timing.everyHours} h`})`,
      );
    }
  }

  private armCron(name: string, expression: string, timezone: string, fire: (time: Date) => void): Omit<Armed, 'signature'> {
    const logger = {
      info: () => undefined,
      debug: () => undefined,
      warn: (message: string) => this.log(`scheduler ${name}: ${message}`),
      error: (message: string | Error) => this.log(`scheduler ${name}: ${message instanceof Error ? message.message : message}`),
    };
    // node-cron's context date is the slot the firing is for (whole seconds), identical in every replica.
    const task: CronTask = cron.schedule(expression, (context) => fire(context.date), {
      name: `kybernet:${name}`,
      timezone,
      logger,
      unref: true,
    });
    return { next: () => task.getNextRun(), stop: () => void task.destroy() };
  }
}

/** Fires every `everyHours` at epoch-aligned slots; a slot missed while the process slept is skipped. */
function armInterval(everyHours: number, fire: (time: Date) => void): Omit<Armed, 'signature'> {
  const periodMs = everyHours * 3_600_000;
  let nextSlot = nextIntervalSlot(Date.now(), periodMs);
  let timer: NodeJS.Timeout | undefined;
  const wait = () => {
    timer = setTimeout(tick, Math.min(Math.max(0, nextSlot - Date.now()), MAX_TIMEOUT_MS));
    timer.unref();
  };
  const tick = () => {
    if (Date.now() >= nextSlot) {
      const slot = nextSlot;
      nextSlot = nextIntervalSlot(Date.now(), periodMs);
      fire(new Date(slot));
    }
    wait();
  };
  wait();
  return { next: () => new Date(nextSlot), stop: () => clearTimeout(timer) };
}
