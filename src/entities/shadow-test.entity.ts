import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { ShadowComparison, ShadowDecision } from '../monitoring/shadow-verdict';

export type ShadowTestOutcome = 'PROMOTED' | 'REJECTED';

/** The shadow tester's record of one SHADOW version: against which ACTIVE version, and its latest verdict. */
@Entity('shadow_tests')
@Index('shadow_tests_model', ['registeredModelId'])
export class ShadowTestEntity {
  @PrimaryColumn({ name: 'model_version_id', type: 'uuid' })
  modelVersionId!: string;

  @Column({ name: 'registered_model_id', type: 'uuid' })
  registeredModelId!: string;

  /** The ACTIVE version it is compared with; a new ACTIVE version restarts the test. */
  @Column({ name: 'active_version_id', type: 'uuid' })
  activeVersionId!: string;

  @Column({ name: 'started_at', type: 'timestamptz', default: () => 'now()' })
  startedAt!: Date;

  @Column({ name: 'evaluated_at', type: 'timestamptz', nullable: true })
  evaluatedAt!: Date | null;

  @Column({ type: 'integer', default: 0 })
  samples!: number;

  @Column({ type: 'text', nullable: true })
  decision!: ShadowDecision | null;

  @Column({ type: 'jsonb', default: () => "'[]'::jsonb" })
  reasons!: string[];

  @Column({ type: 'jsonb', nullable: true })
  comparison!: ShadowComparison | null;

  /** When shadow.promotion.recommended was sent (once per test). */
  @Column({ name: 'recommended_at', type: 'timestamptz', nullable: true })
  recommendedAt!: Date | null;

  @Column({ type: 'text', nullable: true })
  outcome!: ShadowTestOutcome | null;

  @Column({ name: 'concluded_at', type: 'timestamptz', nullable: true })
  concludedAt!: Date | null;
}
