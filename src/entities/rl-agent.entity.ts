import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { QTable } from '../plugins/rl';

export const RL_FAMILIES = ['rl_meta_strategy', 'rl_position_sizing'] as const;
export type RlFamily = (typeof RL_FAMILIES)[number];

/**
 * The live Q-table of one RL agent (a registered model of an RL family). It starts as a copy of the
 * ACTIVE version's table and learns from every closed trade; it is read and written only under its
 * row lock (rl/live-agents.ts).
 */
@Entity('rl_agents')
export class RlAgentEntity {
  @PrimaryColumn({ name: 'registered_model_id', type: 'uuid' })
  registeredModelId!: string;

  @Column({ type: 'text' })
  family!: RlFamily;

  /** The ACTIVE version the table was loaded from; another ACTIVE version reloads it. */
  @Column({ name: 'source_version_id', type: 'uuid' })
  sourceVersionId!: string;

  @Column({ name: 'q_table', type: 'jsonb' })
  qTable!: QTable;

  /** 1, plus one per reset after a regime change. */
  @Column({ type: 'integer' })
  epoch!: number;

  @Column({ name: 'trades_since_snapshot', type: 'integer' })
  tradesSinceSnapshot!: number;

  /** The last market regime signalled (signalRegimeChange); null before the first. */
  @Column({ type: 'text', nullable: true })
  regime!: string | null;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
