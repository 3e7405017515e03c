// The store's readers hand JSON over as bytes; tests compare it as text.
import type { HeldRecord } from '../../src/store/source-records.ts';
import { storedJsonText } from '../../src/store/stored-json.ts';
import type { TouchedWork } from '../../src/store/works.ts';

export const heldText = (r: HeldRecord) => ({ ...r, recordJson: storedJsonText(r.recordJson) });

export const touchedText = (t: TouchedWork) => ({ ...t, workJson: t.workJson === null ? null : storedJsonText(t.workJson) });
