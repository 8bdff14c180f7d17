/**
 * The event log's vocabulary: every event type, and for each the payload its appenders write
 * (EventPayloads). `EventsService.append` takes for a type only that type's payload, and readers —
 * the event stream's listeners and subscriptions, `events.list` — get `KybernetEvent`s, whose payload
 * narrows with `event.type`, so that no reader casts.
 */
import type { Policy } from '../../config/policy';
import type { DriftEventEntity } from '../../entities/drift-event.entity';
import type { EventEntity } from '../../entities/event.entity';
import type { JobKind, JobStatus, JobTrigger } from '../../entities/job.entity';
import type { ModelHealthStateEntity } from '../../entities/model-health-state.entity';
import type { ModelVersionSource, ModelVersionStatus, PromotionGateFigures } from '../../entities/model-version.entity';
import type { RlSnapshotReason } from '../../entities/rl-snapshot.entity';
import type { MarketRegime } from '../../lib/market-vocabulary';

/** The event names of ARCHITECTURE.md ("Events"): front-ends and orchestrators subscribe by these. */
export const EVENT_TYPES = [
  'model.registered',
  'model.promoted',
  'model.retired',
  'model.rolled_back',
  'model.archived',
  'model.gate.failed',
  'model.superseded',
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
  'learning.paused',
  'learning.resumed',
  'policy.updated',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

/** The version an event is about. */
type VersionRef = { model: string; version: number };

/** promoteModel, the shadow tester's promotion and rollbackModel: `version` became ACTIVE, replacing `previousVersion`. */
type Activation = VersionRef & {
  previousVersion: number | null;
  previousVersionId: string | null;
  reason: string | null;
  /** Done by the loop itself (the shadow tester's promotion, the automatic rollback) rather than by a request. */
  automatic?: boolean;
};

/** One arm (the SHADOW or the ACTIVE version) of a shadow comparison, as monitoring/shadow-verdict.ts computes it. */
export interface ShadowArmFigures {
  /** Share of requests whose direction was called right (null when no outcome moved). */
  hitRate: number | null;
  /** Mean return of trading the prediction's sign (null when the realised values are not returns). */
  meanReturn: number | null;
  sharpe: number | null;
  /** Largest fall of the compounded sign-trading equity curve, in percent. */
  maxDrawdownPct: number | null;
  mae: number;
  rmse: number;
  /** Mean of the loss the test compares (squared error or log loss). */
  meanLoss: number;
}

/** The figures of a shadow verdict, against the ACTIVE version `againstVersion` (null before enough pairs). */
export type ShadowFigures = {
  againstVersion: number;
  samples: number;
  improvementPct: number | null;
  pValue: number | null;
  shadow: ShadowArmFigures | null;
  active: ShadowArmFigures | null;
  reasons: string[];
};

type JobRef = { kind: JobKind };

/** How an attempt ended, as its worker recorded it (the reaper records a lost attempt without `durationMs`). */
type JobEnded = JobRef & {
  status: Extract<JobStatus, 'COMPLETED' | 'FAILED' | 'CANCELLED'>;
  attempt: number;
  durationMs?: number | null;
  result?: Record<string, unknown>;
  error?: string;
};

type HealthStatus = ModelHealthStateEntity['status'];

/** The payload of each event type, as its appenders write it. */
export type EventPayloads = {
  /** A version registered: trained or updated by a job (`metrics`), or imported (`format`). */
  'model.registered': VersionRef & {
    status: ModelVersionStatus;
    source: ModelVersionSource;
    metrics?: Record<string, number>;
    format?: string;
  };
  'model.promoted': Activation;
  /** retireModel (`reason`), or an activation replacing this version (`replacedBy`). */
  'model.retired': VersionRef & { reason?: string; replacedBy?: number };
  'model.rolled_back': Activation;
  'model.archived': VersionRef & { previousStatus: ModelVersionStatus; files: string[] };
  /** A candidate the gate before SHADOW refused: registered REJECTED with the gate's figures. */
  'model.gate.failed': VersionRef & PromotionGateFigures;
  /** A SHADOW version replaced, before its verdict, by the newer candidate `by` (policy shadow_testing). */
  'model.superseded': VersionRef & { by: number; reason: string };
  'shadow.testing.started': VersionRef & { againstVersion: number; thresholds: Policy['auto_promote_threshold'] };
  /** `automatic`: the tester promotes it at once; otherwise `heldBy` says what holds automatic promotion. */
  'shadow.promotion.recommended': VersionRef & ShadowFigures & { automatic: boolean; heldBy: string | null };
  'shadow.promoted': VersionRef & ShadowFigures & { previousVersion: number };
  'shadow.rejected': VersionRef & Partial<ShadowFigures> & { reason: string };
  'drift.detected': VersionRef & {
    driftEventId: string;
    severity: DriftEventEntity['severity'];
    response: DriftEventEntity['response'];
    reasons: string[];
    featureCount: number;
    driftedFeatures: number;
    windowRows: number;
  };
  'model.performance.degraded': VersionRef & { from: HealthStatus; status: HealthStatus; reasons: string[]; winRate: number | null };
  /** Queued by enqueue, or again after a lost or interrupted attempt (`attempt`: the next one). */
  'job.queued': JobRef & { trigger: JobTrigger; reason: string; attempt?: number };
  'job.started': JobRef & { attempt: number; worker: string };
  /** Published on its own (no change commits with it), at most about once a second per job; `progress` in [0, 1]. */
  'job.progress': JobRef & { progress: number; message: string | null };
  'job.completed': JobEnded;
  'job.failed': JobEnded;
  /** By its worker (as job.completed), or `while` QUEUED (cancelJob) or RUNNING (the reaper, for a lost attempt: `reason`). */
  'job.cancelled': JobRef & Partial<Omit<JobEnded, 'kind'>> & { while?: 'QUEUED' | 'RUNNING'; reason?: string };
  'rl.snapshot': VersionRef & { snapshotId: string; reason: RlSnapshotReason; epoch: number; tradesSeen: number };
  'rl.reset': {
    model: string;
    previousRegime: MarketRegime | null;
    regime: MarketRegime;
    epoch: number;
    epsilon: number;
    archivedSnapshotId: string | null;
    tradesSeen: number;
  };
  'learning.triggered': {
    learningCycle: number;
    trades: number;
    threshold: number;
    since: string | null;
    until: string;
    models: string[];
    jobIds: string[];
    /** Models of the cycle that got no job: automatic learning paused or the trade trigger off, and why. */
    skipped?: { model: string; reason: string }[];
  };
  /**
   * Automatic learning paused: of every model (`model` null: pauseLearning), or of one — by an operator
   * (pauseLearning with a model) or by the circuit breaker (`pausedBy` 'circuit breaker') after the
   * FAILED jobs `jobIds` in a row (policy.safety.max_consecutive_failures).
   */
  'learning.paused': { model: string | null; reason: string; pausedBy: string; jobIds: string[]; consecutiveFailures: number | null };
  /** resumeLearning: automatic learning of every model (`model` null) or of one runs again; the pause it ended. */
  'learning.resumed': {
    model: string | null;
    reason: string;
    resumedBy: string;
    pausedAt: string;
    pausedBy: string | null;
    pausedReason: string;
  };
  /** `patch` as sent to updatePolicy; `version` the policy version it made. */
  'policy.updated': { version: number; patch: Record<string, unknown> };
};

/** An event of the log as readers get it: its payload is its type's. */
export type KybernetEvent = { [T in EventType]: Omit<EventEntity, 'type' | 'payload'> & { type: T; payload: EventPayloads[T] } }[EventType];

/** An event of type `T`. */
export type EventOf<T extends EventType> = Extract<KybernetEvent, { type: T }>;

/** An event to append: for each type, that type's payload. */
export type NewEvent = {
  [T in EventType]: {
    type: T;
    payload: EventPayloads[T];
    modelName?: string | null;
    modelVersionId?: string | null;
    jobId?: string | null;
  };
}[EventType];

/** The events `promotionAlerts` carries. */
export const PROMOTION_EVENT_TYPES: EventType[] = [
  'model.promoted',
  'model.gate.failed',
  'model.superseded',
  'model.rolled_back',
  'model.retired',
  'shadow.promotion.recommended',
  'shadow.promoted',
  'shadow.rejected',
];

/** Events after which serving must reload a model's ACTIVE and SHADOW versions. */
export const SERVING_EVENT_TYPES: EventType[] = [
  'model.registered',
  'model.superseded',
  'model.promoted',
  'model.retired',
  'model.rolled_back',
  'model.archived',
  'shadow.promoted',
  'shadow.rejected',
];
