// A list's key in the state (`format`, or `format|set`): its own module, so what only names
// lists (a fleet job's queue) does not load the run's resources.

export function listKeyOf(metadataPrefix: string, set: string | undefined): string {
  return set === undefined ? metadataPrefix : `${metadataPrefix}|${set}`;
}
