import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { Timeframe } from '../lib/bars';

/** One OHLCV bar (lib/bars.ts); `timestamp` is the start of its interval. Written only by BarsService's bulk upsert. */
@Entity('bars')
export class BarEntity {
  @PrimaryColumn({ type: 'text' })
  symbol!: string;

  @PrimaryColumn({ type: 'text' })
  timeframe!: Timeframe;

  @PrimaryColumn({ name: 'ts', type: 'timestamptz' })
  timestamp!: Date;

  @Column({ type: 'double precision' })
  open!: number;

  @Column({ type: 'double precision' })
  high!: number;

  @Column({ type: 'double precision' })
  low!: number;

  @Column({ type: 'double precision' })
  close!: number;

  @Column({ type: 'double precision' })
  volume!: number;
}
