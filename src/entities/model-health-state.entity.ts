import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { HealthStatus } from '../monitoring/model-health';

/** A model's last recorded health, so that a change for the worse is reported (and answered) once. */
@Entity('model_health_states')
export class ModelHealthStateEntity {
  @PrimaryColumn({ name: 'registered_model_id', type: 'uuid' })
  registeredModelId!: string;

  /** The ACTIVE version the status describes; another ACTIVE version starts again from HEALTHY. */
  @Column({ name: 'model_version_id', type: 'uuid' })
  modelVersionId!: string;

  @Column({ type: 'text' })
  status!: HealthStatus;

  @Column({ type: 'jsonb', default: () => "'[]'::jsonb" })
  reasons!: string[];

  @Column({ name: 'changed_at', type: 'timestamptz', default: () => 'now()' })
  changedAt!: Date;

  @Column({ name: 'checked_at', type: 'timestamptz', default: () => 'now()' })
  checkedAt!: Date;
}
