import { Column, Entity, PrimaryColumn } from 'typeorm';

/** The one row counting completed trades towards the next incremental update (learning-trigger.service.ts). */
@Entity('learning_counter')
export class LearningCounterEntity {
  @PrimaryColumn({ type: 'boolean' })
  id!: boolean;

  /** The cycle being counted; it ends, and the next begins, when the threshold is reached. */
  @Column({ type: 'integer' })
  cycle!: number;

  @Column({ name: 'trades_since_trigger', type: 'integer' })
  tradesSinceTrigger!: number;

  /** Every trade ever closed (bigint: read as a string). */
  @Column({ name: 'completed_trades', type: 'bigint' })
  completedTrades!: string;

  @Column({ name: 'last_triggered_at', type: 'timestamptz', nullable: true })
  lastTriggeredAt!: Date | null;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
