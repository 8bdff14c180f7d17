import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

@Entity('audit_log')
export class AuditLogEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  @Column({ name: 'api_key_id', type: 'uuid', nullable: true })
  apiKeyId!: string | null;

  @Column({ type: 'text' })
  role!: string;

  /** The mutation fields the request ran, e.g. "promoteModel". */
  @Column({ type: 'text' })
  operation!: string;

  /** The request's variables, with large values (file contents, rows) elided. */
  @Column({ type: 'jsonb', default: () => "'{}'::jsonb" })
  variables!: Record<string, unknown>;

  /** OK, or the error code it failed with. */
  @Column({ type: 'text' })
  outcome!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
