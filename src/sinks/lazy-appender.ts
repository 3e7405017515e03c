import { existsSync } from 'node:fs';
import { JsonlAppender } from './jsonl-appender.ts';

/**
 * A JsonlAppender for files that are usually empty (rejects): created on the first line,
 * but opened at once when it exists, so bytes past the committed offset are dropped.
 */
export class LazyJsonlAppender {
  private appender: JsonlAppender | undefined;
  private committed: number;
  readonly path: string;

  constructor(path: string, committedOffset: number) {
    this.path = path;
    this.committed = committedOffset;
    if (existsSync(path)) this.appender = new JsonlAppender(path, committedOffset);
  }

  async append(lines: readonly string[]): Promise<number> {
    if (lines.length === 0) return this.appender?.size ?? this.committed;
    this.appender ??= new JsonlAppender(this.path, this.committed);
    return this.appender.append(lines);
  }

  get written(): boolean {
    return this.appender !== undefined && this.appender.size > 0;
  }

  close(): void {
    this.appender?.close();
  }
}
