// Which normaliser reads which metadata: by the root element's namespace, then by the
// metadataPrefix. Pure.
import { HarvestError, type ErrorCode } from '../oai/errors.ts';
import type { OaiHeader, RecordMetadata } from '../oai/types.ts';
import type { RecordFields } from './common-record.ts';
import { EP3_NS, eprintElement, fromEprintsXml } from './eprints-xml.ts';
import { fromOaiDc } from './oai-dc.ts';
import { fromRioxx, RIOXX2_NS, RIOXX3_NS } from './rioxx.ts';
import { namespaceOf, rootOf } from './xml-form.ts';

/** The formats this program reads, richest first: the order fields are merged in. */
export const FORMATS = ['ep3', 'rioxx3', 'rioxx', 'oai_dc', 'crossref', 'bibtex'] as const;
export type FormatName = (typeof FORMATS)[number];

/** Metadata no normaliser reads: the record is rejected, its raw metadata kept. */
export class UnsupportedMetadataError extends HarvestError {
  override readonly code: ErrorCode = 'OAIH_UNSUPPORTED_METADATA';
  constructor(message: string) {
    super(message, { stage: 'record' });
  }
}

export interface FormatFields {
  format: FormatName;
  fields: RecordFields;
}

/** Normalises one record's metadata; throws UnsupportedMetadataError with the reason. */
export function readFields(metadataPrefix: string, metadata: RecordMetadata, header: OaiHeader): FormatFields {
  if ('dc' in metadata) return { format: 'oai_dc', fields: fromOaiDc(metadata.dc, header) };
  const root = rootOf(metadata.xml);
  if (!root) throw new UnsupportedMetadataError('the metadata element is empty');
  const ns = namespaceOf(root);
  if (ns === RIOXX3_NS || (!ns && metadataPrefix === 'rioxx3')) return { format: 'rioxx3', fields: fromRioxx(root.element, 3) };
  if (ns === RIOXX2_NS || (!ns && metadataPrefix === 'rioxx')) return { format: 'rioxx', fields: fromRioxx(root.element, 2) };
  if (ns === EP3_NS || (!ns && /^ep3|eprints?$/.test(metadataPrefix))) {
    const eprint = eprintElement(root);
    if (!eprint) throw new UnsupportedMetadataError('an EPrints export without an <eprint> element');
    return { format: 'ep3', fields: fromEprintsXml(eprint) };
  }
  throw new UnsupportedMetadataError(
    `no normaliser for metadataPrefix "${metadataPrefix}" (root <${root.name}>${ns ? ` in ${ns}` : ''}); the raw metadata is kept`,
  );
}
