// Harvests and their checkpoints in PostgreSQL: the same tables and behaviour as the SQLite
// log (../harvest-log.ts). Each statement is one upsert or update of the row it concerns, so
// workers on several machines may note and checkpoint at once without a lock of their own.
import type { Identify, OaiHeader } from '../../oai/types.ts';
import { redactUrl } from '../../oai/secrets.ts';
import { toHarvestRow, type HarvestKey, type HarvestLog, type HarvestRow, type ListSize, type NewHarvest, type PageCheckpoint } from '../harvest-log.ts';
import type { PgConnection, PgRow } from './connection.ts';

/** Notes one record's version; `$7` true means once per harvest. Written when new, changed, or (full) not yet by this harvest. */
const NOTE_RECORDS_SQL = `
  INSERT INTO record_versions (source_id, metadata_prefix, identifier, datestamp, deleted, harvest_id)
  SELECT $1, $2, h.identifier, h.datestamp, h.deleted, $6 FROM unnest($3::text[], $4::text[], $5::boolean[]) AS h (identifier, datestamp, deleted)
  ON CONFLICT (source_id, metadata_prefix, identifier) DO UPDATE SET
    datestamp = excluded.datestamp, deleted = excluded.deleted, harvest_id = excluded.harvest_id
  WHERE record_versions.datestamp IS DISTINCT FROM excluded.datestamp OR record_versions.deleted IS DISTINCT FROM excluded.deleted
     OR ($7 AND record_versions.harvest_id IS DISTINCT FROM excluded.harvest_id)`;

export class PgHarvestLog implements HarvestLog {
  private readonly db: PgConnection;

  constructor(db: PgConnection) {
    this.db = db;
  }

  saveIdentify(sourceId: string, baseUrl: string, identify: Identify): void {
    this.db.run(`INSERT INTO repositories (source_id, base_url, identify_json, identified_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (source_id) DO UPDATE SET base_url = excluded.base_url, identify_json = excluded.identify_json, identified_at = excluded.identified_at`,
    [sourceId, redactUrl(baseUrl), JSON.stringify(identify), new Date().toISOString()]);
  }

  savedIdentify(sourceId: string, baseUrl: string): Identify | undefined {
    const [row] = this.db.query(`SELECT identify_json FROM repositories WHERE source_id = $1 AND base_url = $2`, [sourceId, redactUrl(baseUrl)]);
    return row ? (JSON.parse(String(row['identify_json'])) as Identify) : undefined;
  }

  lastCompleteResponseDate(sourceId: string, listKey: string): string | undefined {
    return this.lastComplete(sourceId, listKey)?.responseDate ?? undefined;
  }

  lastComplete(sourceId: string, listKey: string): { responseDate: string | null; at: string } | undefined {
    const [row] = this.db.query(`SELECT last_complete_response_date AS d, last_complete_at AS at FROM lists WHERE source_id = $1 AND list_key = $2`, [sourceId, listKey]) as
      { d: string | null; at: string | null }[];
    return row && (row.d !== null || row.at !== null) ? { responseDate: row.d, at: row.at ?? new Date(0).toISOString() } : undefined;
  }

  earliestComplete(sourceId: string, listKeys: readonly string[]): string | null {
    const [row] = this.db.query(`SELECT MIN(last_complete_response_date) AS earliest FROM lists WHERE source_id = $1 AND list_key = ANY($2::text[])`, [sourceId, listKeys]);
    return (row?.['earliest'] as string | null | undefined) ?? null;
  }

  runningHarvest(sourceId: string, listKey: string): HarvestRow | undefined {
    const [row] = this.db.query(`SELECT * FROM harvests WHERE source_id = $1 AND list_key = $2 AND status = 'running' ORDER BY started_at DESC LIMIT 1`, [sourceId, listKey]);
    return row ? toHarvestRow(row) : undefined;
  }

  harvest(harvestId: string): HarvestRow | undefined {
    const [row] = this.db.query(`SELECT * FROM harvests WHERE harvest_id = $1`, [harvestId]);
    return row ? toHarvestRow(row) : undefined;
  }

  startHarvest(h: NewHarvest): HarvestRow {
    const [row] = this.db.query(`INSERT INTO harvests (harvest_id, source_id, list_key, metadata_prefix, set_spec, from_arg, until_arg, "full", status, started_at, output_file)
                                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'running', $9, $10) RETURNING *`,
    [h.harvestId, h.sourceId, h.listKey, h.metadataPrefix, h.setSpec, h.fromArg, h.untilArg, h.full, new Date().toISOString(), h.outputFile]);
    return toHarvestRow(row!);
  }

  abandonHarvest(harvestId: string, reason: string): void {
    this.db.run(`UPDATE harvests SET status = 'abandoned', finished_at = $1, last_error = $2 WHERE harvest_id = $3`, [new Date().toISOString(), reason, harvestId]);
  }

  noteRecord(harvest: HarvestKey, header: OaiHeader): boolean {
    return this.noteRecords(harvest, [header]) > 0;
  }

  /**
   * noteRecord for a whole page in one statement; how many were written. A record twice on the
   * page is noted as its last header says (one upsert may not touch a row twice), and the rows
   * are locked in identifier order, so two workers noting overlapping pages cannot deadlock.
   */
  noteRecords(harvest: HarvestKey, headers: readonly OaiHeader[]): number {
    const last = new Map(headers.map((h) => [h.identifier, h]));
    const page = [...last.values()].sort((a, b) => (a.identifier < b.identifier ? -1 : a.identifier > b.identifier ? 1 : 0));
    if (page.length === 0) return 0;
    return this.db.run(NOTE_RECORDS_SQL, [
      harvest.sourceId, harvest.metadataPrefix, page.map((h) => h.identifier), page.map((h) => h.datestamp), page.map((h) => h.deleted), harvest.harvestId, harvest.full,
    ]);
  }

  /** Lets a page's output be written and synced before the transaction that records it is opened. */
  needsWrite(harvest: HarvestKey, headers: readonly OaiHeader[]): boolean[] {
    const { harvestId, full } = harvest;
    const rows = this.db.query(`SELECT identifier, datestamp, deleted, harvest_id FROM record_versions
                                WHERE source_id = $1 AND metadata_prefix = $2 AND identifier = ANY($3::text[])`,
    [harvest.sourceId, harvest.metadataPrefix, headers.map((h) => h.identifier)]) as { identifier: string; datestamp: string; deleted: boolean; harvest_id: string }[];
    const held = new Map(rows.map((r) => [r.identifier, r]));
    return headers.map((header) => {
      const row = held.get(header.identifier);
      if (!row) return true;
      if (row.datestamp !== header.datestamp || row.deleted !== header.deleted) return true;
      return full && row.harvest_id !== harvestId;
    });
  }

  checkpoint(harvestId: string, page: PageCheckpoint): void {
    this.db.run(`
      UPDATE harvests SET token = $1, first_response_date = COALESCE(first_response_date, $2),
        pages = pages + 1, records = records + $3, deleted = deleted + $4, unchanged = unchanged + $5,
        last_datestamp = COALESCE($6, last_datestamp), output_offset = $7, rejects_offset = $8,
        complete_list_size = COALESCE($9, complete_list_size)
      WHERE harvest_id = $10`,
    [page.token, page.responseDate, page.written, page.deleted, page.unchanged, page.lastDatestamp, page.outputOffset, page.rejectsOffset, page.completeListSize, harvestId]);
  }

  restartHarvest(harvestId: string, reason: string): void {
    this.db.run(`UPDATE harvests SET token = NULL, restarts = restarts + 1, last_error = $1 WHERE harvest_id = $2`, [reason, harvestId]);
  }

  noteError(harvestId: string, message: string): void {
    this.db.run(`UPDATE harvests SET last_error = $1 WHERE harvest_id = $2`, [message, harvestId]);
  }

  completeHarvest(harvestId: string): void {
    this.db.transaction(() => {
      const [h] = this.db.query(`UPDATE harvests SET status = 'complete', finished_at = $1, token = NULL, last_error = NULL WHERE harvest_id = $2
                                 RETURNING source_id, list_key, first_response_date`, [new Date().toISOString(), harvestId]);
      if (!h) throw new Error(`no harvest ${harvestId} to complete`);
      this.markListComplete(String(h['source_id']), String(h['list_key']), (h['first_response_date'] as string | null) ?? null, harvestId);
    });
  }

  markListComplete(sourceId: string, listKey: string, responseDate: string | null, harvestId: string): void {
    this.db.run(`INSERT INTO lists (source_id, list_key, last_complete_response_date, last_complete_at, last_harvest_id) VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (source_id, list_key) DO UPDATE SET last_complete_response_date = excluded.last_complete_response_date,
                 last_complete_at = excluded.last_complete_at, last_harvest_id = excluded.last_harvest_id`,
    [sourceId, listKey, responseDate, new Date().toISOString(), harvestId]);
  }

  recordCounts(sourceId: string): { live: number; deleted: number } {
    // A record counts as deleted only when it is deleted in every format held.
    const [row] = this.db.query(`SELECT COUNT(*) FILTER (WHERE NOT deleted) AS live, COUNT(*) FILTER (WHERE deleted) AS deleted FROM (
                                   SELECT identifier, bool_and(deleted) AS deleted FROM record_versions WHERE source_id = $1 GROUP BY identifier) AS r`, [sourceId]);
    return { live: Number(row!['live']), deleted: Number(row!['deleted']) };
  }

  listSizes(sourceId: string): ListSize[] {
    const rows = this.db.query(`SELECT list_key, metadata_prefix, set_spec, complete_list_size, started_at FROM harvests h
                WHERE source_id = $1 AND from_arg IS NULL AND complete_list_size IS NOT NULL AND list_key NOT LIKE '%@%'
                  AND started_at = (SELECT MAX(started_at) FROM harvests WHERE source_id = h.source_id AND list_key = h.list_key
                                    AND from_arg IS NULL AND complete_list_size IS NOT NULL)`, [sourceId]);
    const lists = new Map<string, ListSize>();
    const sized = (r: PgRow, server: number | null, serverAsOf: string | null): ListSize => {
      const set = r['set_spec'] === null ? null : String(r['set_spec']);
      const metadataPrefix = String(r['metadata_prefix']);
      return { list: String(r['list_key']), metadataPrefix, set, server, serverAsOf, held: set === null ? this.heldInFormat(sourceId, metadataPrefix) : null };
    };
    for (const r of rows) lists.set(String(r['list_key']), sized(r, Number(r['complete_list_size']), String(r['started_at'])));
    // Lists whose server never said how long they are still show what we hold.
    for (const r of this.db.query(`SELECT DISTINCT list_key, metadata_prefix, set_spec FROM harvests WHERE source_id = $1 AND list_key NOT LIKE '%@%'`, [sourceId])) {
      if (!lists.has(String(r['list_key']))) lists.set(String(r['list_key']), sized(r, null, null));
    }
    return [...lists.values()].sort((a, b) => a.list.localeCompare(b.list));
  }

  private heldInFormat(sourceId: string, metadataPrefix: string): number {
    return Number(this.db.query(`SELECT COUNT(*) AS n FROM record_versions WHERE source_id = $1 AND metadata_prefix = $2`, [sourceId, metadataPrefix])[0]!['n']);
  }
}
