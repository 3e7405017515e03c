// The store's readers hand JSON over as bytes (SQLite) or text (PostgreSQL); tests compare it as text.
import type { HeldRecord } from '../../src/store/source-records.ts';
import { jsonDocumentText } from '../../src/store/json-bytes.ts';
import type { TouchedWork } from '../../src/store/works.ts';

export const heldText = (r: HeldRecord) => ({ ...r, recordJson: jsonDocumentText(r.recordJson) });

export const touchedText = (t: TouchedWork) => ({ ...t, workJson: t.workJson === null ? null : jsonDocumentText(t.workJson) });
