// Source records and their formats' fields in PostgreSQL: the same tables and behaviour as
// ../source-records.ts. Several workers may save records at once, of one work or even of one
// record (a record seen in two windows of a partitioned harvest): each save reads the work a
// record belonged to from the row it locked, never from a read another commit may overtake.
import type { FormatFieldsRow, HeldRecord, SourceRecordRow, SourceRecords, StoredRecordJson } from '../source-records.ts';
import { jsonDocumentText } from '../json-bytes.ts';
import type { PgConnection, PgParam, PgRow } from './connection.ts';
import { markDirtyPgSql } from './works-schema.ts';

/** Rows per query when a table is read whole, and groups per query for probable duplicates. */
const PAGE = 1000;

/** What a save leaves of one record, after every row the batch has for it. */
interface Outcome {
  sourceId: string;
  identifier: string;
  /** The last live version the batch holds; none: the batch only deletes the record. */
  live: { workId: string; recordJson: string; matchKey: string | null } | undefined;
  deleted: boolean;
}

const keyOf = (sourceId: string, identifier: string): string => `${sourceId}\u0000${identifier}`;
const rowKey = (r: PgRow): string => keyOf(String(r['source_id']), String(r['identifier']));

/**
 * The batch's rows folded into one outcome per record, as SQLite's row-by-row save leaves it:
 * a later live row replaces an earlier one; a deletion marks the record deleted, keeping the
 * last live version it had. One row per record, as one upsert may not write a row twice.
 */
function outcomes(rows: readonly SourceRecordRow[]): { byKey: Map<string, Outcome>; works: Set<string> } {
  const byKey = new Map<string, Outcome>();
  const works = new Set<string>();
  for (const row of rows) {
    const key = keyOf(row.sourceId, row.identifier);
    const outcome = byKey.get(key) ?? { sourceId: row.sourceId, identifier: row.identifier, live: undefined, deleted: false };
    byKey.set(key, outcome);
    if (row.deleted || row.workId === null || row.recordJson === null) {
      outcome.deleted = true;
      continue;
    }
    outcome.live = { workId: row.workId, recordJson: jsonDocumentText(row.recordJson), matchKey: row.matchKey ?? null };
    outcome.deleted = false;
    works.add(row.workId);
  }
  return { byKey, works };
}

/** The outcomes as the columns of `unnest($1::text[], …)`. */
function columns(list: readonly Outcome[]): PgParam[] {
  return [
    list.map((o) => o.sourceId), list.map((o) => o.identifier), list.map((o) => o.live?.workId ?? null),
    list.map((o) => (o.deleted ? 1 : 0)), list.map((o) => o.live?.recordJson ?? null), list.map((o) => o.live?.matchKey ?? null),
  ];
}

const UNNEST_OUTCOMES = `unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::text[], $6::text[]) AS k(source_id, identifier, work_id, deleted, record_json, match_key)`;
const BY_KEY = `ORDER BY k.source_id COLLATE "C", k.identifier COLLATE "C"`;

export class PgSourceRecords implements SourceRecords {
  private readonly db: PgConnection;

  constructor(db: PgConnection) {
    this.db = db;
  }

  /**
   * Records new to the table are inserted; those held are locked, then rewritten: the work a
   * held record leaves is the one in the row as locked, the latest committed, so a worker that
   * moved the record meanwhile has its work marked too. Every statement takes its rows in key
   * order, so two saves of overlapping records wait for each other and never deadlock.
   */
  save(rows: readonly SourceRecordRow[]): void {
    if (rows.length === 0) return;
    const { byKey, works } = outcomes(rows);
    const held = this.claim([...byKey.values()]);
    const rewrite = [...byKey.values()].filter((o) => held.get(keyOf(o.sourceId, o.identifier)) !== undefined);
    if (rewrite.length > 0) {
      this.db.run(`UPDATE source_records s SET work_id = COALESCE(k.work_id, s.work_id), deleted = k.deleted,
                     record_json = COALESCE(k.record_json, s.record_json), match_key = CASE WHEN k.work_id IS NULL THEN s.match_key ELSE k.match_key END
                   FROM ${UNNEST_OUTCOMES} WHERE s.source_id = k.source_id AND s.identifier = k.identifier`, columns(rewrite));
    }
    for (const work of held.values()) if (work !== undefined) works.add(work);
    if (works.size > 0) this.db.run(markDirtyPgSql('SELECT unnest($1::text[])'), [[...works]]);
  }

  /**
   * Per record, the work its held row belongs to (locked until commit), or undefined where
   * this save inserted it. A record only deleted and not held is left out: nothing to keep.
   */
  private claim(list: readonly Outcome[]): Map<string, string | undefined> {
    const claimed = new Map<string, string | undefined>();
    let rest = list;
    // One round in practice: a second only for a row removed between the two statements.
    while (rest.length > 0) {
      for (const key of this.insertNew(rest.filter((o) => o.live !== undefined))) claimed.set(key, undefined);
      rest = rest.filter((o) => !claimed.has(keyOf(o.sourceId, o.identifier)));
      for (const [key, work] of this.lockHeld(rest)) claimed.set(key, work);
      rest = rest.filter((o) => o.live !== undefined && !claimed.has(keyOf(o.sourceId, o.identifier)));
    }
    return claimed;
  }

  /**
   * Inserts the records not held yet; returns their keys. One being inserted by another
   * transaction waits for it: once that commits, the record is held, and locked next.
   */
  private insertNew(list: readonly Outcome[]): string[] {
    if (list.length === 0) return [];
    return this.db.query(`INSERT INTO source_records (source_id, identifier, work_id, deleted, record_json, match_key)
                          SELECT k.source_id, k.identifier, k.work_id, k.deleted, k.record_json, k.match_key FROM ${UNNEST_OUTCOMES} ${BY_KEY}
                          ON CONFLICT (source_id, identifier) DO NOTHING RETURNING source_id, identifier`, columns(list)).map(rowKey);
  }

  /** Locks the held rows of the records, in key order, and tells the work each belongs to now. */
  private lockHeld(list: readonly Outcome[]): Map<string, string> {
    const held = new Map<string, string>();
    if (list.length === 0) return held;
    const rows = this.db.query(`SELECT s.source_id, s.identifier, s.work_id FROM source_records s
                                JOIN unnest($1::text[], $2::text[]) AS k(source_id, identifier) ON s.source_id = k.source_id AND s.identifier = k.identifier
                                ORDER BY s.source_id, s.identifier FOR UPDATE OF s`, [list.map((o) => o.sourceId), list.map((o) => o.identifier)]);
    for (const r of rows) held.set(rowKey(r), String(r['work_id']));
    return held;
  }

  ofWork(workId: string): StoredRecordJson[] {
    return this.db.query(`SELECT record_json, deleted FROM source_records WHERE work_id = $1 ORDER BY source_id, identifier`, [workId])
      .map((r) => ({ recordJson: String(r['record_json']), deleted: r['deleted'] === 1 }));
  }

  /** A page at a time, after the last row of the one before: the table is never read whole into memory. */
  *all(sourceId?: string): Generator<HeldRecord> {
    const columns = `SELECT source_id, identifier, deleted, work_id, record_json FROM source_records`;
    const order = `ORDER BY source_id, identifier LIMIT ${PAGE}`;
    const scope = sourceId === undefined ? '' : 'source_id = $3 AND';
    const scoped = sourceId === undefined ? [] : [sourceId];
    let page = this.db.query(`${columns} ${sourceId === undefined ? '' : 'WHERE source_id = $1'} ${order}`, scoped);
    while (page.length > 0) {
      for (const r of page) {
        yield { sourceId: String(r['source_id']), identifier: String(r['identifier']), deleted: r['deleted'] === 1, workId: String(r['work_id']), recordJson: String(r['record_json']) };
      }
      if (page.length < PAGE) return;
      const last = page[page.length - 1]!;
      page = this.db.query(`${columns} WHERE ${scope} (source_id, identifier) > ($1, $2) ${order}`, [String(last['source_id']), String(last['identifier']), ...scoped]);
    }
  }

  identifiers(sourceId: string): { identifier: string; workId: string }[] {
    return this.db.query(`SELECT identifier, work_id FROM source_records WHERE source_id = $1`, [sourceId])
      .map((r) => ({ identifier: String(r['identifier']), workId: String(r['work_id']) }));
  }

  recordCounts(sourceId: string): { live: number; deleted: number } {
    const [row] = this.db.query(`SELECT COUNT(*) FILTER (WHERE deleted = 0) AS live, COUNT(*) FILTER (WHERE deleted = 1) AS deleted
                                 FROM source_records WHERE source_id = $1`, [sourceId]);
    return { live: Number(row!['live']), deleted: Number(row!['deleted']) };
  }

  workCount(sourceId: string): number {
    return Number(this.db.query(`SELECT COUNT(DISTINCT work_id) AS n FROM source_records WHERE source_id = $1 AND deleted = 0`, [sourceId])[0]!['n']);
  }

  /** Keys a page at a time, and the members of a page's keys in one query. */
  *probableDuplicates(): Generator<{ key: string; records: { recordJson: string; workId: string }[] }> {
    let after: string | undefined;
    for (;;) {
      const keys = this.db.query(`SELECT match_key FROM source_records WHERE deleted = 0 AND match_key IS NOT NULL ${after === undefined ? '' : 'AND match_key > $1'}
                                  GROUP BY match_key HAVING COUNT(*) > 1 ORDER BY match_key LIMIT ${PAGE}`, after === undefined ? [] : [after]).map((r) => String(r['match_key']));
      if (keys.length === 0) return;
      const members = new Map<string, { recordJson: string; workId: string }[]>(keys.map((k) => [k, []]));
      for (const r of this.db.query(`SELECT match_key, record_json, work_id FROM source_records WHERE match_key = ANY($1::text[]) AND deleted = 0
                                     ORDER BY match_key, source_id, identifier`, [keys])) {
        members.get(String(r['match_key']))!.push({ recordJson: String(r['record_json']), workId: String(r['work_id']) });
      }
      // A group that fell below two members between the queries is no longer a group.
      for (const [key, records] of members) if (records.length > 1) yield { key, records };
      if (keys.length < PAGE) return;
      after = keys[keys.length - 1]!;
    }
  }

  saveFormatFields(row: FormatFieldsRow): void {
    this.db.run(`INSERT INTO format_fields (source_id, identifier, format, datestamp, fields_json) VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (source_id, identifier, format) DO UPDATE SET datestamp = excluded.datestamp, fields_json = excluded.fields_json`,
    [row.sourceId, row.identifier, row.format, row.datestamp, row.fieldsJson]);
  }

  dropFormatFields(sourceId: string, identifier: string): void {
    this.db.run(`DELETE FROM format_fields WHERE source_id = $1 AND identifier = $2`, [sourceId, identifier]);
  }

  heldFormats(sourceId: string, identifiers: readonly string[]): Map<string, FormatFieldsRow[]> {
    const held = new Map<string, FormatFieldsRow[]>();
    if (identifiers.length === 0) return held;
    for (const r of this.db.query(`SELECT identifier, format, datestamp, fields_json FROM format_fields
                                   WHERE source_id = $1 AND identifier = ANY($2::text[]) ORDER BY identifier, format`, [sourceId, identifiers])) {
      const identifier = String(r['identifier']);
      const row = { sourceId, identifier, format: String(r['format']), datestamp: String(r['datestamp']), fieldsJson: String(r['fields_json']) };
      held.get(identifier)?.push(row) ?? held.set(identifier, [row]);
    }
    return held;
  }
}
