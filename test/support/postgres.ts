import { expect } from 'vitest';
import type { SlipwayUnderTest } from './slipway.js';

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * SQL on a test's Postgres services through `postgres:connect` (which must succeed: what psql
 * printed), the rows of their `notes` table as one line, `rows:a,b`, and a table written around a moment.
 */
export function postgresOf(slipway: SlipwayUnderTest) {
  const sql = async (service: string, statement: string) => {
    const result = await slipway.ssh(['postgres:connect', service], { input: `${statement}\n` });
    expect(result.code, result.output).toBe(0);
    return result.stdout;
  };
  const rows = (service: string) =>
    sql(service, "SELECT 'rows:' || coalesce(string_agg(body, ',' ORDER BY body), '') FROM notes;");
  /**
   * A new `notes` table with row-a, then row-b 3 s later: the moment between them, as a user
   * notes it for a fork `--at` (PostgreSQL's timestamp text, in UTC).
   */
  const rowsAroundAMoment = async (service: string) => {
    await sql(service, "CREATE TABLE notes (body text); INSERT INTO notes VALUES ('row-a');");
    await pause(1500);
    const between = new Date().toISOString().replace('T', ' ').replace('Z', '+00');
    await pause(1500);
    await sql(service, "INSERT INTO notes VALUES ('row-b');");
    return between;
  };
  return { sql, rows, rowsAroundAMoment };
}
