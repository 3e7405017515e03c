// A state location as written (--state, OAI_HARVESTER_STATE, the config's "state"): a SQLite
// file, or a PostgreSQL database named by URL. Read here once for every place that takes one.
import { registerSecret } from '../oai/secrets.ts';

/** A `postgres://` or `postgresql://` URL names a PostgreSQL state; anything else is a SQLite file. */
export function isPostgresUrl(location: string): boolean {
  return /^postgres(ql)?:\/\//i.test(location);
}

/** A database password in the URL is registered as a secret: no message or log line shows it. False for a URL that does not parse. */
export function registerStatePassword(location: string): boolean {
  if (!isPostgresUrl(location)) return true;
  let url: URL;
  try {
    url = new URL(location);
  } catch {
    return false;
  }
  registerSecret(decodeURIComponent(url.password) || undefined);
  return true;
}
