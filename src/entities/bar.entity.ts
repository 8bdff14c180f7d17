import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * One OHLCV bar (lib/bars.ts) of a series (bar-series.entity.ts); `timestamp` is the start of its
 * interval. Written only by BarsService's bulk upsert.
 */
@Entity('bars')
export class BarEntity {
  @PrimaryColumn({ name: 'series_id', type: 'integer' })
  seriesId!: number;

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
