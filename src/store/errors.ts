// Failures of the store itself, as opposed to the data it holds.
import { HarvestError } from '../oai/errors.ts';

/** The database was written by a newer program: this one must not write to it. */
export class StoreVersionError extends HarvestError {
  override readonly code = 'OAIH_STORE_VERSION';
  constructor(file: string, found: number, known: number) {
    super(`state database ${file} has schema version ${found}, newer than this program's ${known}`, { stage: 'state' });
  }
}

/** PostgreSQL refused a statement or the connection; `sqlState` is its SQLSTATE code when it gave one. */
export class StateDatabaseError extends HarvestError {
  override readonly code = 'OAIH_STATE_DATABASE';
  readonly sqlState: string | undefined;
  constructor(location: string, reason: string, sqlState: string | undefined) {
    super(`state database ${location}: ${reason}`, { stage: 'state' });
    this.sqlState = sqlState;
  }
}
