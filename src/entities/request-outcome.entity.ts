import { Column, Entity, PrimaryColumn } from 'typeorm';

export const OUTCOME_SOURCES = ['TRADE', 'RECORDED', 'SERIES'] as const;
export type OutcomeSource = (typeof OUTCOME_SOURCES)[number];

/**
 * The realised value of one prediction request of one registered model. Every version's prediction
 * of the request (the ACTIVE row and its SHADOW rows in `predictions`) joins it on
 * (registered_model_id, request_id), so shadows are scored on exactly the requests the ACTIVE answered.
 */
@Entity('request_outcomes')
export class RequestOutcomeEntity {
  @PrimaryColumn({ name: 'registered_model_id', type: 'uuid' })
  registeredModelId!: string;

  @PrimaryColumn({ name: 'request_id', type: 'text' })
  requestId!: string;

  /** The realised value; a forecast's first step of its first target. */
  @Column({ type: 'double precision' })
  actual!: number;

  /** A forecast's realised rows: horizon × targets, step-major like its outputs (null for any other model). */
  @Column({ type: 'real', array: true, nullable: true })
  actuals!: number[] | null;

  /** TRADE: written by logTradeOutcome (trade_id set); RECORDED: by recordOutcome; SERIES: a forecast's, filled in from stored bars. */
  @Column({ type: 'text' })
  source!: OutcomeSource;

  @Column({ name: 'trade_id', type: 'uuid', nullable: true })
  tradeId!: string | null;

  @Column({ name: 'recorded_at', type: 'timestamptz' })
  recordedAt!: Date;
}
