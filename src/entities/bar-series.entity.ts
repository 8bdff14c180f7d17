import { Column, Entity, PrimaryGeneratedColumn, Unique } from 'typeorm';
import type { Timeframe } from '../lib/bars';

/** One (symbol, timeframe) series of bars; bars refer to it by its id. */
@Entity('bar_series')
@Unique('bar_series_symbol_timeframe_key', ['symbol', 'timeframe'])
export class BarSeriesEntity {
  @PrimaryGeneratedColumn('identity', { generatedIdentity: 'ALWAYS' })
  id!: number;

  @Column({ type: 'text' })
  symbol!: string;

  @Column({ type: 'text' })
  timeframe!: Timeframe;
}
