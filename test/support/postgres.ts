/**
 * A PostgreSQL database of its own for a test file: created on the machine's server
 * (127.0.0.1:5432, trust auth) with a random name, dropped afterwards.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The server tests use; override with SLIPWAY_TEST_PG_ADMIN_URL. */
export const pgAdminUrl = process.env.SLIPWAY_TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** A created test database. */
export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

/** Creates an empty database named `slipway_test_<random>`. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `slipway_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: pgAdminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(pgAdminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    drop: async () => {
      const c = new pg.Client({ connectionString: pgAdminUrl });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}
