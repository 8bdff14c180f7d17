import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

export const ROLES = ['viewer', 'trader', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

@Entity('api_keys')
export class ApiKeyEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'text' })
  name!: string;

  @Column({ type: 'text' })
  role!: Role;

  /** SHA-256 of the key; the key itself is shown once, at creation, and never stored. */
  @Column({ name: 'key_hash', type: 'text', unique: true })
  keyHash!: string;

  /** The first characters of the key, to recognise it in listings. */
  @Column({ type: 'text' })
  prefix!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt!: Date | null;
}
