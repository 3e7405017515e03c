// The store's readers hand JSON over as bytes; tests compare it as text.
import type { HeldRecord } from '../../src/store/source-records.ts';
import { jsonBytesText } from '../../src/store/json-bytes.ts';
import type { TouchedWork } from '../../src/store/works.ts';

export const heldText = (r: HeldRecord) => ({ ...r, recordJson: jsonBytesText(r.recordJson) });

export const touchedText = (t: TouchedWork) => ({ ...t, workJson: t.workJson === null ? null : jsonBytesText(t.workJson) });
