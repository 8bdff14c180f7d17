import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Foundation1795300000000 implements MigrationInterface {
  name = 'Foundation1795300000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE registered_models (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL UNIQUE,
        family text NOT NULL,
        description text NOT NULL DEFAULT '',
        tags jsonb NOT NULL DEFAULT '{}'::jsonb,
        revision integer NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(`
      CREATE TABLE datasets (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL UNIQUE,
        description text NOT NULL DEFAULT '',
        source text NOT NULL,
        columns jsonb NOT NULL,
        row_count integer NOT NULL CHECK (row_count >= 0),
        storage_key text NOT NULL,
        sha256 text NOT NULL,
        size_bytes integer NOT NULL,
        spec jsonb,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(`
      CREATE TABLE jobs (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        kind text NOT NULL CHECK (kind IN ('TRAIN','FULL','PARTIAL','INCREMENTAL','RL_MAINTENANCE','TUNING')),
        status text NOT NULL CHECK (status IN ('QUEUED','RUNNING','COMPLETED','FAILED','CANCELLED')),
        trigger text NOT NULL CHECK (trigger IN ('MANUAL','SCHEDULE','TRADES','DRIFT','PERFORMANCE')),
        reason text NOT NULL DEFAULT '',
        singleton_key text UNIQUE,
        registered_model_id uuid REFERENCES registered_models(id),
        payload jsonb NOT NULL DEFAULT '{}'::jsonb,
        progress real NOT NULL DEFAULT 0,
        progress_message text,
        result jsonb,
        error text,
        attempts integer NOT NULL DEFAULT 0,
        worker_id text,
        model_version_id uuid,
        created_at timestamptz NOT NULL DEFAULT now(),
        started_at timestamptz,
        finished_at timestamptz,
        cancel_requested_at timestamptz
      )`);
    await db.query(`CREATE INDEX jobs_status_created ON jobs (status, created_at)`);
    await db.query(`
      CREATE TABLE model_versions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        registered_model_id uuid NOT NULL REFERENCES registered_models(id),
        version integer NOT NULL CHECK (version > 0),
        status text NOT NULL CHECK (status IN ('TRAINING','SHADOW','ACTIVE','RETIRED','REJECTED','FAILED','ARCHIVED')),
        source text NOT NULL CHECK (source IN ('TRAINED','UPDATED','IMPORTED')),
        family text NOT NULL,
        format text,
        feature_names jsonb NOT NULL DEFAULT '[]'::jsonb,
        signature jsonb,
        hyperparameters jsonb NOT NULL DEFAULT '{}'::jsonb,
        metrics jsonb NOT NULL DEFAULT '{}'::jsonb,
        feature_importance jsonb,
        reference jsonb,
        artifact_files jsonb NOT NULL DEFAULT '[]'::jsonb,
        dataset_id uuid REFERENCES datasets(id),
        parent_version_id uuid REFERENCES model_versions(id),
        job_id uuid REFERENCES jobs(id),
        training_spec jsonb,
        error text,
        description text NOT NULL DEFAULT '',
        created_at timestamptz NOT NULL DEFAULT now(),
        status_changed_at timestamptz NOT NULL DEFAULT now(),
        activated_at timestamptz,
        CONSTRAINT model_versions_model_version_key UNIQUE (registered_model_id, version)
      )`);
    // The database itself guarantees at most one ACTIVE version per registered model.
    await db.query(
      `CREATE UNIQUE INDEX model_versions_one_active ON model_versions (registered_model_id) WHERE status = 'ACTIVE'`,
    );
    await db.query(`CREATE INDEX model_versions_status ON model_versions (status)`);
    await db.query(`
      CREATE TABLE predictions (
        id uuid PRIMARY KEY,
        registered_model_id uuid NOT NULL REFERENCES registered_models(id),
        model_version_id uuid NOT NULL REFERENCES model_versions(id),
        role text NOT NULL CHECK (role IN ('ACTIVE','SHADOW')),
        request_id text NOT NULL,
        features real[] NOT NULL,
        outputs real[] NOT NULL,
        value double precision,
        latency_ms real NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(`CREATE INDEX predictions_model_created ON predictions (registered_model_id, created_at)`);
    await db.query(`CREATE INDEX predictions_version_created ON predictions (model_version_id, created_at)`);
    // A request id names one request: outcomes join every version's prediction of it by (model, request id).
    await db.query(`CREATE UNIQUE INDEX predictions_version_request ON predictions (model_version_id, request_id)`);
    await db.query(`CREATE INDEX predictions_model_request ON predictions (registered_model_id, request_id)`);
    await db.query(`
      CREATE TABLE events (
        id bigserial PRIMARY KEY,
        type text NOT NULL,
        model_name text,
        model_version_id uuid,
        job_id uuid,
        payload jsonb NOT NULL DEFAULT '{}'::jsonb,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(`CREATE INDEX events_type_id ON events (type, id)`);
    await db.query(`
      CREATE TABLE api_keys (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL,
        role text NOT NULL CHECK (role IN ('viewer','trader','operator','admin')),
        key_hash text NOT NULL UNIQUE,
        prefix text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        revoked_at timestamptz
      )`);
    await db.query(`
      CREATE TABLE audit_log (
        id bigserial PRIMARY KEY,
        api_key_id uuid REFERENCES api_keys(id),
        role text NOT NULL,
        operation text NOT NULL,
        variables jsonb NOT NULL DEFAULT '{}'::jsonb,
        outcome text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(db: QueryRunner): Promise<void> {
    for (const table of ['audit_log', 'api_keys', 'events', 'predictions', 'model_versions', 'jobs', 'datasets', 'registered_models']) {
      await db.query(`DROP TABLE ${table}`);
    }
  }
}
