import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The shadow tester's record of each SHADOW version's test, drift events, each model's last health
 * status (so a change to DEGRADED or CRITICAL is reported once), and a NOTIFY on `kybernet_outcomes`
 * (payload: the registered model id) whenever outcomes are recorded, so that every process can
 * re-evaluate that model's shadows and health without polling — whichever code path wrote them.
 */
export class ShadowDriftHealth1795301000000 implements MigrationInterface {
  name = 'ShadowDriftHealth1795301000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE shadow_tests (
        model_version_id uuid PRIMARY KEY REFERENCES model_versions(id),
        registered_model_id uuid NOT NULL REFERENCES registered_models(id),
        active_version_id uuid NOT NULL REFERENCES model_versions(id),
        started_at timestamptz NOT NULL DEFAULT now(),
        evaluated_at timestamptz,
        samples integer NOT NULL DEFAULT 0 CHECK (samples >= 0),
        decision text CHECK (decision IN ('PROMOTE','REJECT','CONTINUE')),
        reasons jsonb NOT NULL DEFAULT '[]'::jsonb,
        comparison jsonb,
        recommended_at timestamptz,
        outcome text CHECK (outcome IN ('PROMOTED','REJECTED')),
        concluded_at timestamptz
      )`);
    await db.query(`CREATE INDEX shadow_tests_model ON shadow_tests (registered_model_id)`);
    await db.query(`
      CREATE TABLE drift_events (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        registered_model_id uuid NOT NULL REFERENCES registered_models(id),
        model_version_id uuid NOT NULL REFERENCES model_versions(id),
        severity text NOT NULL CHECK (severity IN ('LOW','MEDIUM','HIGH','CRITICAL')),
        trigger text NOT NULL CHECK (trigger IN ('MANUAL','SCHEDULE')),
        check_job_id uuid REFERENCES jobs(id),
        reasons jsonb NOT NULL,
        window_rows integer NOT NULL CHECK (window_rows >= 0),
        feature_count integer NOT NULL,
        drifted_features integer NOT NULL,
        major_features integer NOT NULL,
        distributions jsonb NOT NULL,
        performance jsonb NOT NULL,
        response text NOT NULL CHECK (response IN ('LOGGED','PARTIAL_RETRAINING','FULL_RETRAINING','PROMOTION_STOPPED_FULL_RETRAINING')),
        retraining_job_ids uuid[] NOT NULL DEFAULT '{}',
        response_note text,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(`CREATE INDEX drift_events_model_created ON drift_events (registered_model_id, created_at DESC, id DESC)`);
    await db.query(`CREATE INDEX drift_events_created ON drift_events (created_at DESC, id DESC)`);
    await db.query(`CREATE INDEX drift_events_version_severity ON drift_events (model_version_id, severity)`);
    await db.query(`
      CREATE TABLE model_health_states (
        registered_model_id uuid PRIMARY KEY REFERENCES registered_models(id),
        model_version_id uuid NOT NULL REFERENCES model_versions(id),
        status text NOT NULL CHECK (status IN ('HEALTHY','DEGRADED','CRITICAL')),
        reasons jsonb NOT NULL DEFAULT '[]'::jsonb,
        changed_at timestamptz NOT NULL DEFAULT now(),
        checked_at timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(`
      CREATE FUNCTION kybernet_notify_outcomes() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('kybernet_outcomes', models.id::text) FROM (SELECT DISTINCT registered_model_id AS id FROM recorded) AS models;
        RETURN NULL;
      END $$`);
    await db.query(`
      CREATE TRIGGER request_outcomes_notify AFTER INSERT ON request_outcomes
      REFERENCING NEW TABLE AS recorded FOR EACH STATEMENT EXECUTE FUNCTION kybernet_notify_outcomes()`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('DROP TRIGGER request_outcomes_notify ON request_outcomes');
    await db.query('DROP FUNCTION kybernet_notify_outcomes()');
    for (const table of ['model_health_states', 'drift_events', 'shadow_tests']) await db.query(`DROP TABLE ${table}`);
  }
}
