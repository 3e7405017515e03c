import { describe, expect, it } from 'vitest';
import { recordLine, recordLineFromJson } from '../../src/sinks/record-line.ts';
import type { OaiRecord } from '../../src/oai/types.ts';
import { LineBuffer, type Line } from '../../src/sinks/line-buffer.ts';
import { packJsonTexts } from '../../src/store/json-bytes.ts';

/** A line as the record log gets it: its parts gathered as bytes, without the newline. */
function lineText(line: Line): string {
  const chunks: Buffer[] = [];
  const buffer = new LineBuffer((bytes, start, end) => chunks.push(Buffer.from(bytes.subarray(start, end))));
  buffer.line(line);
  buffer.flush();
  return Buffer.concat(chunks).toString('utf8').replace(/\n$/, '');
}

describe('record lines', () => {
  it.each<OaiRecord>([
    { header: { identifier: 'oai:kar.kent.ac.uk:89524', datestamp: '2021-08-02T10:00:00Z', setSpecs: ['7374617475733D707562'], deleted: false },
      metadata: { dc: { title: ['A "quoted" title\twith\ttabs', 'Ünïcødé'], creator: ['Family, Given'] }, lang: { title: ['en', null] } } },
    { header: { identifier: 'oai:x:1 with space', datestamp: '2021-08-02', setSpecs: [], deleted: true }, metadata: null },
    { header: { identifier: 'oai:x:2', datestamp: '2021', setSpecs: [], deleted: false }, metadata: { xml: { 'rioxx:rioxx': [{ '@': { 'xmlns:rioxx': 'x' }, 'dc:title': ['T'] }] } } },
  ])('are the same whether metadata arrives as objects, as JSON text or as JSON bytes (%#)', (record) => {
    const common = { id: `kar:${record.header.identifier}`, title: 'T' };
    const fromObjects = recordLine('kar', 'oai_dc', record, '2021-08-03T00:00:00Z', common);
    const [metadataBytes, recordBytes] = packJsonTexts([JSON.stringify(record.metadata), JSON.stringify(common)]);
    const parts = { source: 'kar', metadataPrefix: 'oai_dc', header: record.header, responseDate: '2021-08-03T00:00:00Z' };
    expect(lineText(recordLineFromJson({ ...parts, metadataJson: JSON.stringify(record.metadata), recordJson: JSON.stringify(common) }))).toBe(fromObjects);
    expect(lineText(recordLineFromJson({ ...parts, metadataJson: metadataBytes!, recordJson: recordBytes! }))).toBe(fromObjects);
    expect(lineText(recordLineFromJson({ ...parts, metadataJson: metadataBytes!, responseDate: 'r' }))).toBe(recordLine('kar', 'oai_dc', record, 'r'));
    expect(JSON.parse(fromObjects)).toMatchObject({ source: 'kar', identifier: record.header.identifier, deleted: record.header.deleted });
  });
});
