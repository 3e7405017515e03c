// What each file source (a BibTeX file) held when it was last read: its content hash, so an
// unchanged file is not read into records again.
import type { SqliteDatabase } from './database.ts';

export interface FileRead {
  sourceId: string;
  path: string;
  sha256: string;
  entries: number;
  readAt: string;
}

/** The one way to the file_reads table. */
export interface FileReads {
  get(sourceId: string): FileRead | undefined;
  save(read: FileRead): void;
}

export class SqliteFileReads implements FileReads {
  private readonly db: SqliteDatabase;

  constructor(db: SqliteDatabase) {
    this.db = db;
  }

  get(sourceId: string): FileRead | undefined {
    const row = this.db.statement(`SELECT source_id, path, sha256, entries, read_at FROM file_reads WHERE source_id = ?`).get(sourceId);
    return row ? { sourceId: String(row['source_id']), path: String(row['path']), sha256: String(row['sha256']), entries: Number(row['entries']), readAt: String(row['read_at']) } : undefined;
  }

  save(read: FileRead): void {
    this.db.statement(`INSERT OR REPLACE INTO file_reads (source_id, path, sha256, entries, read_at) VALUES (?, ?, ?, ?, ?)`)
      .run(read.sourceId, read.path, read.sha256, read.entries, read.readAt);
  }
}
