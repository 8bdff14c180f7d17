import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';
import type { Policy } from '../config/policy';

/** One version of the policy document; the highest version is in force. */
@Entity('policies')
export class PolicyEntity {
  @PrimaryColumn({ type: 'integer' })
  version!: number;

  @Column({ type: 'jsonb' })
  document!: Policy;

  @Column({ name: 'api_key_id', type: 'uuid', nullable: true })
  apiKeyId!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
