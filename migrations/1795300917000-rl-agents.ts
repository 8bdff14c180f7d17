import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The RL agents in the live loop: the live Q-table of each agent (one row per registered model of an
 * RL family, updated under its row lock), every transition it learned from a closed trade (once per
 * trade), and its snapshots (a copy of the table, kept until it is registered as a model version).
 */
export class RlAgents1795300917000 implements MigrationInterface {
  name = 'RlAgents1795300917000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE rl_agents (
        registered_model_id uuid PRIMARY KEY REFERENCES registered_models(id),
        family text NOT NULL CHECK (family IN ('rl_meta_strategy','rl_position_sizing')),
        source_version_id uuid NOT NULL REFERENCES model_versions(id),
        q_table jsonb NOT NULL,
        epoch integer NOT NULL DEFAULT 1 CHECK (epoch >= 1),
        trades_since_snapshot integer NOT NULL DEFAULT 0 CHECK (trades_since_snapshot >= 0),
        regime text CHECK (regime IN ('TRENDING','RANGING','CHOPPY','VOLATILE')),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(`
      CREATE TABLE rl_transitions (
        id bigserial PRIMARY KEY,
        registered_model_id uuid NOT NULL REFERENCES registered_models(id),
        trade_id uuid NOT NULL REFERENCES trades(id),
        epoch integer NOT NULL,
        state jsonb NOT NULL,
        action text NOT NULL,
        reward double precision NOT NULL CHECK (reward > '-Infinity' AND reward < 'Infinity'),
        next_state jsonb,
        learned_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT rl_transitions_model_trade_key UNIQUE (registered_model_id, trade_id)
      )`);
    await db.query(`CREATE INDEX rl_transitions_model_id ON rl_transitions (registered_model_id, id)`);
    await db.query(`
      CREATE TABLE rl_snapshots (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        registered_model_id uuid NOT NULL REFERENCES registered_models(id),
        reason text NOT NULL CHECK (reason IN ('INTERVAL','REGIME_CHANGE')),
        epoch integer NOT NULL,
        trades_seen integer NOT NULL,
        last_transition_id bigint,
        pending_q_table jsonb,
        model_version_id uuid REFERENCES model_versions(id),
        claimed_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        registered_at timestamptz,
        CONSTRAINT rl_snapshots_pending_or_registered CHECK ((model_version_id IS NULL) = (pending_q_table IS NOT NULL))
      )`);
    await db.query(`CREATE INDEX rl_snapshots_pending ON rl_snapshots (created_at) WHERE model_version_id IS NULL`);
    await db.query(`CREATE UNIQUE INDEX rl_snapshots_version ON rl_snapshots (model_version_id) WHERE model_version_id IS NOT NULL`);
    await db.query(`CREATE INDEX rl_snapshots_model_created ON rl_snapshots (registered_model_id, created_at)`);
  }

  async down(db: QueryRunner): Promise<void> {
    for (const table of ['rl_snapshots', 'rl_transitions', 'rl_agents']) await db.query(`DROP TABLE ${table}`);
  }
}
