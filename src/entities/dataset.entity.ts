import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { ColumnSpec } from '../lib/dataset-table';

@Entity('datasets')
export class DatasetEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'text', unique: true })
  name!: string;

  @Column({ type: 'text', default: '' })
  description!: string;

  /** Where the rows came from: ROWS, CSV, BARS (features and labels), TRADES (trade log). */
  @Column({ type: 'text' })
  source!: string;

  @Column({ type: 'jsonb' })
  columns!: ColumnSpec[];

  @Column({ name: 'row_count', type: 'integer' })
  rowCount!: number;

  @Column({ name: 'storage_key', type: 'text' })
  storageKey!: string;

  @Column({ type: 'text' })
  sha256!: string;

  @Column({ name: 'size_bytes', type: 'integer' })
  sizeBytes!: number;

  /** How a materialized dataset was built (symbols, range, horizon, feature names), for audit and rebuilds. */
  @Column({ type: 'jsonb', nullable: true })
  spec!: Record<string, unknown> | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
