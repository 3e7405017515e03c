import { describe, expect, it } from 'vitest';
import { recordLine, recordLineFromJson } from '../../src/sinks/record-line.ts';
import type { OaiRecord } from '../../src/oai/types.ts';

describe('record lines', () => {
  it.each<OaiRecord>([
    { header: { identifier: 'oai:kar.kent.ac.uk:89524', datestamp: '2021-08-02T10:00:00Z', setSpecs: ['7374617475733D707562'], deleted: false },
      metadata: { dc: { title: ['A "quoted" title\twith\ttabs', 'Ünïcødé'], creator: ['Family, Given'] }, lang: { title: ['en', null] } } },
    { header: { identifier: 'oai:x:1 with space', datestamp: '2021-08-02', setSpecs: [], deleted: true }, metadata: null },
    { header: { identifier: 'oai:x:2', datestamp: '2021', setSpecs: [], deleted: false }, metadata: { xml: { 'rioxx:rioxx': [{ '@': { 'xmlns:rioxx': 'x' }, 'dc:title': ['T'] }] } } },
  ])('are the same whether metadata arrives as objects or as JSON (%#)', (record) => {
    const common = { id: `kar:${record.header.identifier}`, title: 'T' };
    const fromObjects = recordLine('kar', 'oai_dc', record, '2021-08-03T00:00:00Z', common);
    expect(recordLineFromJson({ source: 'kar', metadataPrefix: 'oai_dc', header: record.header, metadataJson: JSON.stringify(record.metadata), responseDate: '2021-08-03T00:00:00Z', recordJson: JSON.stringify(common) })).toBe(fromObjects);
    expect(recordLineFromJson({ source: 'kar', metadataPrefix: 'oai_dc', header: record.header, metadataJson: JSON.stringify(record.metadata), responseDate: 'r' })).toBe(recordLine('kar', 'oai_dc', record, 'r'));
    expect(JSON.parse(fromObjects)).toMatchObject({ source: 'kar', identifier: record.header.identifier, deleted: record.header.deleted });
  });
});
