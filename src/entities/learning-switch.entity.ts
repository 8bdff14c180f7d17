import { Column, Entity, PrimaryColumn } from 'typeorm';

/** The one row holding the pause of all automatic learning (`pauseLearning`; learning/learning-switch.service.ts). */
@Entity('learning_switch')
export class LearningSwitchEntity {
  @PrimaryColumn({ type: 'boolean' })
  id!: boolean;

  /** Null while automatic learning runs. */
  @Column({ name: 'paused_at', type: 'timestamptz', nullable: true })
  pausedAt!: Date | null;

  /** The API key's name that paused it. */
  @Column({ name: 'paused_by', type: 'text', nullable: true })
  pausedBy!: string | null;

  @Column({ type: 'text', nullable: true })
  reason!: string | null;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
