/** The event names of ARCHITECTURE.md ("Events"): front-ends and orchestrators subscribe by these. */
export const EVENT_TYPES = [
  'model.registered',
  'model.promoted',
  'model.retired',
  'model.rolled_back',
  'model.archived',
  'shadow.testing.started',
  'shadow.promotion.recommended',
  'shadow.promoted',
  'shadow.rejected',
  'drift.detected',
  'model.performance.degraded',
  'job.queued',
  'job.started',
  'job.progress',
  'job.completed',
  'job.failed',
  'job.cancelled',
  'rl.snapshot',
  'rl.reset',
  'learning.triggered',
  'policy.updated',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

/** The events `promotionAlerts` carries. */
export const PROMOTION_EVENT_TYPES: EventType[] = [
  'model.promoted',
  'model.rolled_back',
  'model.retired',
  'shadow.promotion.recommended',
  'shadow.promoted',
  'shadow.rejected',
];

/** Events after which serving must reload a model's ACTIVE and SHADOW versions. */
export const SERVING_EVENT_TYPES: EventType[] = [
  'model.registered',
  'model.promoted',
  'model.retired',
  'model.rolled_back',
  'model.archived',
  'shadow.promoted',
  'shadow.rejected',
];
