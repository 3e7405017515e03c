// Where the state lives: a SQLite file (the default, `<out>/state.sqlite`) or a PostgreSQL
// database named by URL, shared by a fleet of workers.
import { join, resolve } from 'node:path';
import { isPostgresUrl } from '../config/state-location.ts';

export { isPostgresUrl };

/** The state's location: a URL as given, a file path made absolute, `<outDir>/state.sqlite` by default. */
export function resolveStateLocation(location: string | undefined, outDir: string): string {
  if (location !== undefined && isPostgresUrl(location)) return location;
  return resolve(location ?? join(outDir, 'state.sqlite'));
}
