import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';
import type { SeriesChannel } from '../market/series-table';

/**
 * A forecast waiting for its outcome: answered with `asOf` by a version trained on a SERIES dataset,
 * it is filled in from stored bars once the `horizon` aligned times of `symbols` after `as_of` are all
 * ingested (trading/forecast-outcomes.service.ts), and the row is then deleted. Keyed like its outcome.
 */
@Entity('forecast_requests')
export class ForecastRequestEntity {
  @PrimaryColumn({ name: 'registered_model_id', type: 'uuid' })
  registeredModelId!: string;

  @PrimaryColumn({ name: 'request_id', type: 'text' })
  requestId!: string;

  /** The ACTIVE version that answered; its dataset gave the columns below. */
  @Column({ name: 'model_version_id', type: 'uuid' })
  modelVersionId!: string;

  /** The time of the history's last row. */
  @Column({ name: 'as_of', type: 'timestamptz' })
  asOf!: Date;

  @Column({ type: 'text' })
  timeframe!: string;

  @Column({ type: 'integer' })
  horizon!: number;

  /** Every symbol of the dataset: a step is a time at which each has a bar. */
  @Column({ type: 'text', array: true })
  symbols!: string[];

  /** Per forecast target, in output order: its column, symbol and bar field. */
  @Column({ type: 'jsonb' })
  targets!: SeriesChannel[];

  /** null: the targets are bar fields; 'simple' or 'log': their returns. */
  @Column({ name: 'return_kind', type: 'text', nullable: true })
  returnKind!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
