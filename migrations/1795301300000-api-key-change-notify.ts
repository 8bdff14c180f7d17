import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * NOTIFY `kybernet_api_keys` (payload: the key id) whenever an API key is revoked, changes role or
 * hash, or is deleted — by the API, the `kybernet keys` CLI or plain SQL — so that every process drops
 * its cached principal of that key and closes its graphql-ws connections at once.
 */
export class ApiKeyChangeNotify1795301300000 implements MigrationInterface {
  name = 'ApiKeyChangeNotify1795301300000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE FUNCTION kybernet_notify_api_keys() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('kybernet_api_keys', OLD.id::text);
        RETURN NULL;
      END $$`);
    await db.query(`
      CREATE TRIGGER api_keys_notify_update AFTER UPDATE ON api_keys FOR EACH ROW
      WHEN (OLD.revoked_at IS DISTINCT FROM NEW.revoked_at OR OLD.role IS DISTINCT FROM NEW.role OR OLD.key_hash IS DISTINCT FROM NEW.key_hash)
      EXECUTE FUNCTION kybernet_notify_api_keys()`);
    await db.query(`CREATE TRIGGER api_keys_notify_delete AFTER DELETE ON api_keys FOR EACH ROW EXECUTE FUNCTION kybernet_notify_api_keys()`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('DROP TRIGGER api_keys_notify_delete ON api_keys');
    await db.query('DROP TRIGGER api_keys_notify_update ON api_keys');
    await db.query('DROP FUNCTION kybernet_notify_api_keys()');
  }
}
