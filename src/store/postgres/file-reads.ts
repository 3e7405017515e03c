// The last read of each file source in PostgreSQL: the same table and behaviour as ../file-reads.ts.
import type { FileRead, FileReads } from '../file-reads.ts';
import type { PgConnection } from './connection.ts';

export class PgFileReads implements FileReads {
  private readonly db: PgConnection;

  constructor(db: PgConnection) {
    this.db = db;
  }

  get(sourceId: string): FileRead | undefined {
    const [row] = this.db.query(`SELECT source_id, path, sha256, entries, read_at FROM file_reads WHERE source_id = $1`, [sourceId]);
    return row ? { sourceId: String(row['source_id']), path: String(row['path']), sha256: String(row['sha256']), entries: Number(row['entries']), readAt: String(row['read_at']) } : undefined;
  }

  save(read: FileRead): void {
    this.db.run(`INSERT INTO file_reads (source_id, path, sha256, entries, read_at) VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (source_id) DO UPDATE SET path = excluded.path, sha256 = excluded.sha256, entries = excluded.entries, read_at = excluded.read_at`,
    [read.sourceId, read.path, read.sha256, read.entries, read.readAt]);
  }
}
