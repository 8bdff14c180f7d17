import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** One transition an RL agent learned from a closed trade; a trade teaches each agent once. */
@Entity('rl_transitions')
export class RlTransitionEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  @Column({ name: 'registered_model_id', type: 'uuid' })
  registeredModelId!: string;

  @Column({ name: 'trade_id', type: 'uuid' })
  tradeId!: string;

  /** The agent's epoch (resets) when it learned this. */
  @Column({ type: 'integer' })
  epoch!: number;

  @Column({ type: 'jsonb' })
  state!: Record<string, string>;

  @Column({ type: 'text' })
  action!: string;

  @Column({ type: 'double precision' })
  reward!: number;

  @Column({ name: 'next_state', type: 'jsonb', nullable: true })
  nextState!: Record<string, string> | null;

  @Column({ name: 'learned_at', type: 'timestamptz' })
  learnedAt!: Date;
}
