import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

@Entity('events')
@Index('events_type_id', ['type', 'id'])
export class EventEntity {
  /** Commit-ordered (see platform/events/events.service.ts), so `after: id` replays without gaps. */
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  @Column({ type: 'text' })
  type!: string;

  @Column({ name: 'model_name', type: 'text', nullable: true })
  modelName!: string | null;

  @Column({ name: 'model_version_id', type: 'uuid', nullable: true })
  modelVersionId!: string | null;

  @Column({ name: 'job_id', type: 'uuid', nullable: true })
  jobId!: string | null;

  @Column({ type: 'jsonb', default: () => "'{}'::jsonb" })
  payload!: Record<string, unknown>;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
