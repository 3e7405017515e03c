// Harvests and their checkpoints: the repositories identified, each list's last complete
// harvest, each harvest's token and offsets page by page, and which version of each record
// was written (the skip state of incremental runs).
import type { Identify, OaiHeader } from '../oai/types.ts';
import { redactUrl } from '../oai/secrets.ts';
import type { SqliteDatabase } from './database.ts';

export type HarvestStatus = 'running' | 'complete' | 'abandoned';

export interface HarvestRow {
  harvestId: string;
  sourceId: string;
  listKey: string;
  metadataPrefix: string;
  setSpec: string | null;
  fromArg: string | null;
  untilArg: string | null;
  full: boolean;
  status: HarvestStatus;
  startedAt: string;
  finishedAt: string | null;
  firstResponseDate: string | null;
  token: string | null;
  pages: number;
  records: number;
  deleted: number;
  unchanged: number;
  lastDatestamp: string | null;
  outputFile: string;
  outputOffset: number;
  rejectsOffset: number;
  restarts: number;
  completeListSize: number | null;
  lastError: string | null;
}

export interface PageCheckpoint {
  token: string | null;
  responseDate: string;
  written: number;
  deleted: number;
  unchanged: number;
  lastDatestamp: string | null;
  outputOffset: number;
  rejectsOffset: number;
  completeListSize: number | null;
}


/** Which harvest a record is noted for: the skip state is per source, format and record. */
export type HarvestKey = Pick<HarvestRow, 'sourceId' | 'metadataPrefix' | 'harvestId' | 'full'>;

export type NewHarvest = Pick<HarvestRow, 'harvestId' | 'sourceId' | 'listKey' | 'metadataPrefix' | 'setSpec' | 'fromArg' | 'untilArg' | 'full' | 'outputFile'>;

export interface ListSize {
  list: string;
  metadataPrefix: string;
  set: string | null;
  /** The completeListSize the server gave in the latest harvest of the whole list (no `from`), if it gave one. */
  server: number | null;
  serverAsOf: string | null;
  /** Records held in this format (live and deleted); null for a set, whose members are not tracked. */
  held: number | null;
}

/** The one way to the repositories, lists, harvests and record_versions tables. */
export interface HarvestLog {
  /** The base URL is held as it may be shown: a key in its query never reaches the database. */
  saveIdentify(sourceId: string, baseUrl: string, identify: Identify): void;
  savedIdentify(sourceId: string, baseUrl: string): Identify | undefined;
  lastCompleteResponseDate(sourceId: string, listKey: string): string | undefined;
  /** When the list was last harvested whole: by the server's clock, and by ours. */
  lastComplete(sourceId: string, listKey: string): { responseDate: string | null; at: string } | undefined;
  /** The earliest server time at which any of these lists was last complete. */
  earliestComplete(sourceId: string, listKeys: readonly string[]): string | null;
  runningHarvest(sourceId: string, listKey: string): HarvestRow | undefined;
  harvest(harvestId: string): HarvestRow | undefined;
  startHarvest(harvest: NewHarvest): HarvestRow;
  abandonHarvest(harvestId: string, reason: string): void;
  /** Records the header; true when the record must be written (new, changed, or not yet written by this harvest when `full`). Inside a transaction. */
  noteRecord(harvest: HarvestKey, header: OaiHeader): boolean;
  /** Read-only twin of noteRecord for a whole page, in one query: which headers must be written. */
  needsWrite(harvest: HarvestKey, headers: readonly OaiHeader[]): boolean[];
  checkpoint(harvestId: string, page: PageCheckpoint): void;
  /** A refused token: the list starts again from its original from/until. */
  restartHarvest(harvestId: string, reason: string): void;
  noteError(harvestId: string, message: string): void;
  /** The next incremental harvest of the list starts from this harvest's first responseDate. */
  completeHarvest(harvestId: string): void;
  /** A list harvested whole, as of `responseDate` (the server's clock): incremental runs start there. */
  markListComplete(sourceId: string, listKey: string, responseDate: string | null, harvestId: string): void;
  /** Records held for a source, counted once whatever the number of formats. */
  recordCounts(sourceId: string): { live: number; deleted: number };
  /** Per list, the server's own count against ours: a large gap means records are being missed. */
  listSizes(sourceId: string): ListSize[];
}

export class SqliteHarvestLog implements HarvestLog {
  private readonly db: SqliteDatabase;

  constructor(db: SqliteDatabase) {
    this.db = db;
  }

  saveIdentify(sourceId: string, baseUrl: string, identify: Identify): void {
    this.db.statement(`INSERT OR REPLACE INTO repositories (source_id, base_url, identify_json, identified_at) VALUES (?, ?, ?, ?)`)
      .run(sourceId, redactUrl(baseUrl), JSON.stringify(identify), new Date().toISOString());
  }

  savedIdentify(sourceId: string, baseUrl: string): Identify | undefined {
    const row = this.db.statement(`SELECT identify_json FROM repositories WHERE source_id = ? AND base_url = ?`).get(sourceId, redactUrl(baseUrl));
    return row ? (JSON.parse(String(row['identify_json'])) as Identify) : undefined;
  }

  lastCompleteResponseDate(sourceId: string, listKey: string): string | undefined {
    return this.lastComplete(sourceId, listKey)?.responseDate ?? undefined;
  }

  lastComplete(sourceId: string, listKey: string): { responseDate: string | null; at: string } | undefined {
    const row = this.db.statement(`SELECT last_complete_response_date AS d, last_complete_at AS at FROM lists WHERE source_id = ? AND list_key = ?`)
      .get(sourceId, listKey) as { d: string | null; at: string | null } | undefined;
    return row && (row.d !== null || row.at !== null) ? { responseDate: row.d, at: row.at ?? new Date(0).toISOString() } : undefined;
  }

  earliestComplete(sourceId: string, listKeys: readonly string[]): string | null {
    const row = this.db
      .statement(`SELECT MIN(last_complete_response_date) AS earliest FROM lists WHERE source_id = ? AND list_key IN (SELECT value FROM json_each(?))`)
      .get(sourceId, JSON.stringify(listKeys));
    return (row?.['earliest'] as string | null | undefined) ?? null;
  }

  runningHarvest(sourceId: string, listKey: string): HarvestRow | undefined {
    const row = this.db.statement(`SELECT * FROM harvests WHERE source_id = ? AND list_key = ? AND status = 'running' ORDER BY started_at DESC LIMIT 1`)
      .get(sourceId, listKey);
    return row ? toHarvestRow(row) : undefined;
  }

  harvest(harvestId: string): HarvestRow | undefined {
    const row = this.db.statement(`SELECT * FROM harvests WHERE harvest_id = ?`).get(harvestId);
    return row ? toHarvestRow(row) : undefined;
  }

  startHarvest(h: NewHarvest): HarvestRow {
    this.db.statement(`INSERT INTO harvests (harvest_id, source_id, list_key, metadata_prefix, set_spec, from_arg, until_arg, full, status, started_at, output_file)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'running', ?, ?)`)
      .run(h.harvestId, h.sourceId, h.listKey, h.metadataPrefix, h.setSpec, h.fromArg, h.untilArg, h.full ? 1 : 0, new Date().toISOString(), h.outputFile);
    return this.harvest(h.harvestId)!;
  }

  abandonHarvest(harvestId: string, reason: string): void {
    this.db.statement(`UPDATE harvests SET status = 'abandoned', finished_at = ?, last_error = ? WHERE harvest_id = ?`).run(new Date().toISOString(), reason, harvestId);
  }

  noteRecord(harvest: HarvestKey, header: OaiHeader): boolean {
    // A record is written when it is new or changed; with `full`, once per harvest.
    const result = this.db.statement(`
      INSERT INTO record_versions (source_id, metadata_prefix, identifier, datestamp, deleted, harvest_id) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT (source_id, metadata_prefix, identifier) DO UPDATE SET
        datestamp = excluded.datestamp, deleted = excluded.deleted, harvest_id = excluded.harvest_id
      WHERE record_versions.datestamp IS NOT excluded.datestamp OR record_versions.deleted IS NOT excluded.deleted
         OR (? AND record_versions.harvest_id IS NOT excluded.harvest_id)`)
      .run(harvest.sourceId, harvest.metadataPrefix, header.identifier, header.datestamp, header.deleted ? 1 : 0, harvest.harvestId, harvest.full ? 1 : 0);
    return Number(result.changes) > 0;
  }

  /** Lets a page's output be written and synced before the transaction that records it is opened. */
  needsWrite(harvest: HarvestKey, headers: readonly OaiHeader[]): boolean[] {
    const { harvestId, full } = harvest;
    const rows = this.db.statement(`
      SELECT identifier, datestamp, deleted, harvest_id FROM record_versions
      WHERE source_id = ? AND metadata_prefix = ? AND identifier IN (SELECT value FROM json_each(?))`)
      .all(harvest.sourceId, harvest.metadataPrefix, JSON.stringify(headers.map((h) => h.identifier))) as {
      identifier: string; datestamp: string; deleted: number; harvest_id: string;
    }[];
    const held = new Map(rows.map((r) => [r.identifier, r]));
    return headers.map((header) => {
      const row = held.get(header.identifier);
      if (!row) return true;
      if (row.datestamp !== header.datestamp || (row.deleted === 1) !== header.deleted) return true;
      return full && row.harvest_id !== harvestId;
    });
  }

  checkpoint(harvestId: string, page: PageCheckpoint): void {
    this.db.statement(`
      UPDATE harvests SET token = ?, first_response_date = COALESCE(first_response_date, ?),
        pages = pages + 1, records = records + ?, deleted = deleted + ?, unchanged = unchanged + ?,
        last_datestamp = COALESCE(?, last_datestamp), output_offset = ?, rejects_offset = ?,
        complete_list_size = COALESCE(?, complete_list_size)
      WHERE harvest_id = ?`)
      .run(page.token, page.responseDate, page.written, page.deleted, page.unchanged, page.lastDatestamp, page.outputOffset, page.rejectsOffset, page.completeListSize, harvestId);
  }

  restartHarvest(harvestId: string, reason: string): void {
    this.db.statement(`UPDATE harvests SET token = NULL, restarts = restarts + 1, last_error = ? WHERE harvest_id = ?`).run(reason, harvestId);
  }

  noteError(harvestId: string, message: string): void {
    this.db.statement(`UPDATE harvests SET last_error = ? WHERE harvest_id = ?`).run(message, harvestId);
  }

  completeHarvest(harvestId: string): void {
    this.db.transaction(() => {
      const now = new Date().toISOString();
      this.db.statement(`UPDATE harvests SET status = 'complete', finished_at = ?, token = NULL, last_error = NULL WHERE harvest_id = ?`).run(now, harvestId);
      const h = this.harvest(harvestId)!;
      this.markListComplete(h.sourceId, h.listKey, h.firstResponseDate, harvestId);
    });
  }

  markListComplete(sourceId: string, listKey: string, responseDate: string | null, harvestId: string): void {
    this.db.statement(`INSERT INTO lists (source_id, list_key, last_complete_response_date, last_complete_at, last_harvest_id) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (source_id, list_key) DO UPDATE SET last_complete_response_date = excluded.last_complete_response_date,
                last_complete_at = excluded.last_complete_at, last_harvest_id = excluded.last_harvest_id`)
      .run(sourceId, listKey, responseDate, new Date().toISOString(), harvestId);
  }

  recordCounts(sourceId: string): { live: number; deleted: number } {
    const row = this.db.statement(`SELECT COALESCE(SUM(deleted = 0), 0) AS live, COALESCE(SUM(deleted = 1), 0) AS deleted FROM (
                  SELECT identifier, MIN(deleted) AS deleted FROM record_versions WHERE source_id = ? GROUP BY identifier)`)
      .get(sourceId) as { live: number; deleted: number };
    return { live: Number(row.live), deleted: Number(row.deleted) };
  }

  listSizes(sourceId: string): ListSize[] {
    const rows = this.db
      .statement(`SELECT list_key, metadata_prefix, set_spec, complete_list_size, started_at FROM harvests h
                WHERE source_id = ? AND from_arg IS NULL AND complete_list_size IS NOT NULL AND list_key NOT LIKE '%@%'
                  AND started_at = (SELECT MAX(started_at) FROM harvests WHERE source_id = h.source_id AND list_key = h.list_key
                                    AND from_arg IS NULL AND complete_list_size IS NOT NULL)
                ORDER BY list_key`)
      .all(sourceId);
    const lists = new Map<string, ListSize>();
    const sized = (r: Record<string, unknown>, server: number | null, serverAsOf: string | null): ListSize => {
      const set = r['set_spec'] === null ? null : String(r['set_spec']);
      const metadataPrefix = String(r['metadata_prefix']);
      return { list: String(r['list_key']), metadataPrefix, set, server, serverAsOf, held: set === null ? this.heldInFormat(sourceId, metadataPrefix) : null };
    };
    for (const r of rows) lists.set(String(r['list_key']), sized(r, Number(r['complete_list_size']), String(r['started_at'])));
    // Lists whose server never said how long they are still show what we hold.
    for (const r of this.db.statement(`SELECT DISTINCT list_key, metadata_prefix, set_spec FROM harvests WHERE source_id = ? AND list_key NOT LIKE '%@%'`).all(sourceId)) {
      if (!lists.has(String(r['list_key']))) lists.set(String(r['list_key']), sized(r, null, null));
    }
    return [...lists.values()].sort((a, b) => a.list.localeCompare(b.list));
  }

  private heldInFormat(sourceId: string, metadataPrefix: string): number {
    return Number(this.db.statement(`SELECT COUNT(*) AS n FROM record_versions WHERE source_id = ? AND metadata_prefix = ?`).get(sourceId, metadataPrefix)!['n']);
  }
}

/** A harvests row as read by either backend (SQLite's INTEGER 0/1, PostgreSQL's BOOLEAN for `full`). */
export function toHarvestRow(r: Record<string, unknown>): HarvestRow {
  const s = (v: unknown) => (v === null || v === undefined ? null : String(v));
  return {
    harvestId: String(r['harvest_id']),
    sourceId: String(r['source_id']),
    listKey: String(r['list_key']),
    metadataPrefix: String(r['metadata_prefix']),
    setSpec: s(r['set_spec']),
    fromArg: s(r['from_arg']),
    untilArg: s(r['until_arg']),
    full: r['full'] === true || Number(r['full']) === 1,
    status: String(r['status']) as HarvestStatus,
    startedAt: String(r['started_at']),
    finishedAt: s(r['finished_at']),
    firstResponseDate: s(r['first_response_date']),
    token: s(r['token']),
    pages: Number(r['pages']),
    records: Number(r['records']),
    deleted: Number(r['deleted']),
    unchanged: Number(r['unchanged']),
    lastDatestamp: s(r['last_datestamp']),
    outputFile: String(r['output_file']),
    outputOffset: Number(r['output_offset']),
    rejectsOffset: Number(r['rejects_offset']),
    restarts: Number(r['restarts']),
    completeListSize: r['complete_list_size'] === null ? null : Number(r['complete_list_size']),
    lastError: s(r['last_error']),
  };
}
