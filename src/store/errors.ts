// Failures of the store itself, as opposed to the data it holds.
import { HarvestError } from '../oai/errors.ts';

/** The database was written by a newer program: this one must not write to it. */
export class StoreVersionError extends HarvestError {
  override readonly code = 'OAIH_STORE_VERSION';
  constructor(file: string, found: number, known: number) {
    super(`state database ${file} has schema version ${found}, newer than this program's ${known}`, { stage: 'state' });
  }
}
