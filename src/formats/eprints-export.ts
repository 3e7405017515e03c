// Enrichment from the EPrints EP3 XML export (/cgi/export/eprint/{id}/XML/…): the only
// public source of KAR's deposit date, keywords, divisions and file versions.
import { ForbiddenError, HttpStatusError } from '../oai/errors.ts';
import type { HttpClient } from '../oai/http.ts';
import type { OaiHeader } from '../oai/types.ts';
import { parseXmlDocument } from '../oai/xml.ts';
import { readFields, type FormatFields } from './registry.ts';

export const EPRINTS_EXPORT = 'eprints-export';

/**
 * The export URL template of an EPrints OAI base URL: {perl_url}/oai2 →
 * {perl_url}/export/eprint/{id}/XML/eprint-{id}.xml (cgi/export ignores the file name).
 */
export function defaultExportTemplate(baseUrl: string): string | undefined {
  return eprintsCgiTemplate(baseUrl, '/export/eprint/{id}/XML/eprint-{id}.xml');
}

/** {perl_url}/oai2 → {perl_url}{path}, the placeholders in braces kept as written; undefined for other base URLs. */
export function eprintsCgiTemplate(baseUrl: string, path: string): string | undefined {
  const url = new URL(baseUrl);
  if (!/\/oai2\/?$/.test(url.pathname)) return undefined;
  url.pathname = url.pathname.replace(/\/oai2\/?$/, path);
  url.search = '';
  return url.href.replace(/%7B(\w+)%7D/g, '{$1}');
}

export type ExportOutcome = { fields: FormatFields } | { unavailable: string };

/** Fetches and reads one record's export; access refusals and absences are outcomes, not failures. */
export async function fetchEprintsExport(http: HttpClient, template: string, header: OaiHeader): Promise<ExportOutcome> {
  const id = /:(\d+)$/.exec(header.identifier)?.[1];
  if (!id) return { unavailable: `no EPrints id in ${header.identifier}` };
  const url = new URL(template.replace(/\{id\}/g, id));
  try {
    return await http.get(url, { verb: 'export' }, (response) => {
      if (response.status === 401 || response.status === 404 || response.status === 410) {
        return { unavailable: `HTTP ${response.status}` };
      }
      if (response.status >= 400) throw new HttpStatusError(response.status, '', { url: url.href, verb: 'export' });
      const { root, rootName } = parseXmlDocument(response.body, { url: url.href, verb: 'export' });
      return { fields: readFields('ep3', { xml: { [rootName]: [root] } }, header) };
    });
  } catch (error) {
    if (error instanceof ForbiddenError) return { unavailable: 'HTTP 403' };
    throw error;
  }
}
