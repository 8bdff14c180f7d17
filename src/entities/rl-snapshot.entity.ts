import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { QTable } from '../plugins/rl';

export const RL_SNAPSHOT_REASONS = ['INTERVAL', 'REGIME_CHANGE'] as const;
export type RlSnapshotReason = (typeof RL_SNAPSHOT_REASONS)[number];

/**
 * A copy of an agent's live table taken every N learned trades (INTERVAL) or before a reset
 * (REGIME_CHANGE). It is written with the change that triggers it and then registered as a model
 * version; until then `pendingQTable` holds the table.
 */
@Entity('rl_snapshots')
export class RlSnapshotEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'registered_model_id', type: 'uuid' })
  registeredModelId!: string;

  @Column({ type: 'text' })
  reason!: RlSnapshotReason;

  @Column({ type: 'integer' })
  epoch!: number;

  /** The table's tradesSeen when it was taken. */
  @Column({ name: 'trades_seen', type: 'integer' })
  tradesSeen!: number;

  /** The last rl_transitions id learned into the table: later ones are held out for its replay evaluation. */
  @Column({ name: 'last_transition_id', type: 'bigint', nullable: true })
  lastTransitionId!: string | null;

  @Column({ name: 'pending_q_table', type: 'jsonb', nullable: true, select: false })
  pendingQTable?: QTable | null;

  @Column({ name: 'model_version_id', type: 'uuid', nullable: true })
  modelVersionId!: string | null;

  @Column({ name: 'claimed_at', type: 'timestamptz', nullable: true })
  claimedAt!: Date | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'registered_at', type: 'timestamptz', nullable: true })
  registeredAt!: Date | null;
}
