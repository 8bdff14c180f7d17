/**
 * RL_MAINTENANCE: the sweep that keeps the RL agents' snapshots whole. A snapshot is copied in the
 * transaction of the trade (or reset) that calls for it and registered as a version right after the
 * commit, by the process that committed it; should that process die in between, or the registration
 * fail, the copy stays pending. Every policy.rl_maintenance.maintenance_interval_hours one
 * RL_MAINTENANCE job (slot singleton key) registers whatever is pending and whose claim has lapsed.
 */
import type { JobContext } from '../platform/jobs/job-worker';
import type { JobsService } from '../platform/jobs/jobs.service';
import type { RlSnapshots } from './snapshots';
import type { ScheduledTask } from '../platform/schedules/scheduler';

export class RlMaintenance {
  constructor(
    private readonly snapshots: RlSnapshots,
    private readonly jobs: JobsService,
  ) {}

  maintenanceTask(): ScheduledTask {
    return {
      name: 'rl_maintenance',
      description:
        'Queues an RL_MAINTENANCE job that registers RL snapshots left pending (their process died or their registration failed).',
      timing: (policy) => ({ everyHours: policy.rl_maintenance.maintenance_interval_hours }),
      run: (slot) =>
        this.jobs.enqueue({
          kind: 'RL_MAINTENANCE',
          trigger: 'SCHEDULE',
          reason: `scheduled RL maintenance (${slot.time.toISOString()})`,
          payload: {},
          singletonKey: slot.singletonKey,
        }),
    };
  }

  /** The RL_MAINTENANCE job handler. */
  readonly runMaintenanceJob = async (ctx: JobContext): Promise<Record<string, unknown>> => {
    const registered = await this.snapshots.registerPending();
    ctx.log(`registered ${registered} pending RL snapshot(s)`);
    return { registeredSnapshots: registered };
  };
}
