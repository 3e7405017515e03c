// Source records: each record's current common record and the work it belongs to, and the
// normalised fields of each of its formats, for sources harvested in several. Saving a record
// marks its work (and the work it left) for recomputing, in the same transaction.
import type { CommonRecord } from '../formats/common-record.ts';
import type { SqliteDatabase } from './database.ts';
import { markDirtySql } from './schema.ts';
import type { JsonBytes, JsonDocument } from './json-bytes.ts';

export interface SourceRecordRow {
  sourceId: string;
  identifier: string;
  deleted: boolean;
  /** Null with `recordJson` null: nothing to keep but the deletion of a record held before. */
  workId: string | null;
  /** As text, or as UTF-8 bytes (the parser thread's), stored as text either way. */
  recordJson: JsonDocument | null;
  /** The probable-duplicate key of a record without a DOI. */
  matchKey?: string | null | undefined;
}

/** A source record as held, to be written out: its common record as stored. */
export interface HeldRecord {
  sourceId: string;
  identifier: string;
  deleted: boolean;
  workId: string;
  recordJson: JsonDocument;
}

export interface FormatFieldsRow {
  sourceId: string;
  identifier: string;
  format: string;
  datestamp: string;
  fieldsJson: string;
}

export interface StoredRecordJson {
  recordJson: string;
  deleted: boolean;
}

/** A stored source record as a common record, with the deleted state its row holds now. */
export function storedRecord(row: StoredRecordJson): CommonRecord {
  // Set on the parsed object rather than spread into a copy: a merge reads thousands of these.
  const record = JSON.parse(row.recordJson) as CommonRecord;
  record.deleted = row.deleted;
  return record;
}

/** The one way to the source_records and format_fields tables. */
export interface SourceRecords {
  /**
   * Keeps records' current common records and marks their works (and the works they left,
   * when a DOI changed) for recomputing; one query for what the batch already holds. A deleted
   * record keeps its work and is marked deleted. Inside a transaction.
   */
  save(rows: readonly SourceRecordRow[]): void;
  /** The common records (JSON, deleted ones included) of a work's source records. */
  ofWork(workId: string): StoredRecordJson[];
  /** Every source record as it is now (deleted ones included), by source and identifier; with `sourceId`, that source's only. */
  all(sourceId?: string): Generator<HeldRecord>;
  /** Source records of a source, by identifier, to match statistics items to. */
  identifiers(sourceId: string): { identifier: string; workId: string }[];
  /** The source's records, live and deleted, counted in the database. */
  recordCounts(sourceId: string): { live: number; deleted: number };
  /** Works with at least one live record from the source. */
  workCount(sourceId: string): number;
  /** Live records without a DOI that share a probable-duplicate key with another, grouped. */
  probableDuplicates(): Generator<{ key: string; records: { recordJson: string; workId: string }[] }>;
  /** Keeps one format's normalised fields of a record, for merging with its other formats. */
  saveFormatFields(row: FormatFieldsRow): void;
  /** A deleted record has no formats left to merge. */
  dropFormatFields(sourceId: string, identifier: string): void;
  /** Per identifier, the fields held for each of its formats: one query for a page's records. */
  heldFormats(sourceId: string, identifiers: readonly string[]): Map<string, FormatFieldsRow[]>;
}

export class SqliteSourceRecords implements SourceRecords {
  private readonly db: SqliteDatabase;

  constructor(db: SqliteDatabase) {
    this.db = db;
  }

  save(rows: readonly SourceRecordRow[]): void {
    if (rows.length === 0) return;
    const held = this.heldWorks(rows);
    const markDirty = this.db.statement(markDirtySql('VALUES (?)'));
    for (const row of rows) {
      const before = held.get(`${row.sourceId}\u0000${row.identifier}`);
      if (row.deleted || row.workId === null || row.recordJson === null) {
        if (before === undefined) continue;
        this.db.statement(`UPDATE source_records SET deleted = 1 WHERE source_id = ? AND identifier = ?`).run(row.sourceId, row.identifier);
        markDirty.run(before);
        continue;
      }
      // An upsert keeps the row where it is: a replace would delete it and insert it anew,
      // rewriting its index entries too.
      this.db.statement(`INSERT INTO source_records (source_id, identifier, work_id, deleted, record_json, match_key) VALUES (?, ?, ?, 0, CAST(? AS TEXT), ?)
               ON CONFLICT (source_id, identifier) DO UPDATE SET work_id = excluded.work_id, deleted = 0, record_json = excluded.record_json, match_key = excluded.match_key`)
        .run(row.sourceId, row.identifier, row.workId, row.recordJson, row.matchKey ?? null);
      markDirty.run(row.workId);
      if (before !== undefined && before !== row.workId) markDirty.run(before);
      held.set(`${row.sourceId}\u0000${row.identifier}`, row.workId);
    }
  }

  /** The work each of the rows' records belongs to now, for those held. */
  private heldWorks(rows: readonly SourceRecordRow[]): Map<string, string> {
    const keys = JSON.stringify(rows.map((r) => [r.sourceId, r.identifier]));
    const held = new Map<string, string>();
    for (const r of this.db.statement(`SELECT s.source_id, s.identifier, s.work_id FROM json_each(?) AS k
                                       JOIN source_records s ON s.source_id = k.value ->> 0 AND s.identifier = k.value ->> 1`).iterate(keys)) {
      held.set(`${String(r['source_id'])}\u0000${String(r['identifier'])}`, String(r['work_id']));
    }
    return held;
  }

  ofWork(workId: string): StoredRecordJson[] {
    return this.db.statement(`SELECT record_json, deleted FROM source_records WHERE work_id = ?`).all(workId)
      .map((r) => ({ recordJson: String(r['record_json']), deleted: r['deleted'] === 1 }));
  }

  *all(sourceId?: string): Generator<HeldRecord> {
    const columns = `SELECT source_id, identifier, deleted, work_id, CAST(record_json AS BLOB) AS record_json FROM source_records`;
    const rows = sourceId === undefined
      ? this.db.statement(`${columns} ORDER BY source_id, identifier`).iterate()
      : this.db.statement(`${columns} WHERE source_id = ? ORDER BY identifier`).iterate(sourceId);
    for (const r of rows) {
      yield { sourceId: String(r['source_id']), identifier: String(r['identifier']), deleted: r['deleted'] === 1, workId: String(r['work_id']), recordJson: r['record_json'] as JsonBytes };
    }
  }

  identifiers(sourceId: string): { identifier: string; workId: string }[] {
    return this.db.statement(`SELECT identifier, work_id AS workId FROM source_records WHERE source_id = ?`).all(sourceId) as { identifier: string; workId: string }[];
  }

  recordCounts(sourceId: string): { live: number; deleted: number } {
    const row = this.db.statement(`SELECT COALESCE(SUM(deleted = 0), 0) AS live, COALESCE(SUM(deleted = 1), 0) AS deleted FROM source_records WHERE source_id = ?`).get(sourceId)!;
    return { live: Number(row['live']), deleted: Number(row['deleted']) };
  }

  workCount(sourceId: string): number {
    return Number(this.db.statement(`SELECT COUNT(DISTINCT work_id) AS n FROM source_records WHERE source_id = ? AND deleted = 0`).get(sourceId)!['n']);
  }

  *probableDuplicates(): Generator<{ key: string; records: { recordJson: string; workId: string }[] }> {
    const keys = this.db.statement(`SELECT match_key FROM source_records WHERE deleted = 0 AND match_key IS NOT NULL
                                  GROUP BY match_key HAVING COUNT(*) > 1 ORDER BY match_key`);
    const members = this.db.statement(`SELECT record_json, work_id FROM source_records WHERE match_key = ? AND deleted = 0 ORDER BY source_id, identifier`);
    for (const row of keys.iterate()) {
      const key = String(row['match_key']);
      yield { key, records: members.all(key).map((r) => ({ recordJson: String(r['record_json']), workId: String(r['work_id']) })) };
    }
  }

  saveFormatFields(row: FormatFieldsRow): void {
    this.db.statement(`INSERT OR REPLACE INTO format_fields (source_id, identifier, format, datestamp, fields_json) VALUES (?, ?, ?, ?, ?)`)
      .run(row.sourceId, row.identifier, row.format, row.datestamp, row.fieldsJson);
  }

  dropFormatFields(sourceId: string, identifier: string): void {
    this.db.statement(`DELETE FROM format_fields WHERE source_id = ? AND identifier = ?`).run(sourceId, identifier);
  }

  heldFormats(sourceId: string, identifiers: readonly string[]): Map<string, FormatFieldsRow[]> {
    const held = new Map<string, FormatFieldsRow[]>();
    if (identifiers.length === 0) return held;
    for (const r of this.db.statement(`SELECT identifier, format, datestamp, fields_json FROM format_fields
                                       WHERE source_id = ? AND identifier IN (SELECT value FROM json_each(?))`).iterate(sourceId, JSON.stringify(identifiers))) {
      const identifier = String(r['identifier']);
      const row = { sourceId, identifier, format: String(r['format']), datestamp: String(r['datestamp']), fieldsJson: String(r['fields_json']) };
      held.get(identifier)?.push(row) ?? held.set(identifier, [row]);
    }
    return held;
  }
}
