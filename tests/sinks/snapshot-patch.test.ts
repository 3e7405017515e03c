import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { patchSnapshotFile, SnapshotPatchError, type SnapshotChange } from '../../src/sinks/snapshot-patch.ts';
import { tempDir } from '../support/run.ts';

/** A works.jsonl line, as the works step writes them. */
const line = (id: string, title = `Title of ${id}`) => JSON.stringify({ schemaVersion: 1, id, status: 'active', title: { value: title } });
const file = (ids: string[]) => ids.map((id) => `${line(id)}\n`).join('');
/** Ids in the order SQLite sorts text: by UTF-8 bytes. */
const byBytes = (ids: string[]) => [...ids].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));

function patch(previous: string, changes: SnapshotChange[]): { text: string; count: number; path: string } {
  const dir = tempDir('oai-patch-');
  const path = join(dir, 'works.jsonl');
  writeFileSync(path, previous);
  const count = patchSnapshotFile(path, path, changes);
  return { text: readFileSync(path, 'utf8'), count, path };
}

describe('patchSnapshotFile', () => {
  const ids = ['doi:10.1/b', 'doi:10.1/d', 'doi:10.1/f'];

  it('replaces, adds before, between and after, and drops lines, copying the others as they were', () => {
    const { text, count } = patch(file(ids), [
      { id: 'doi:10.1/a', line: line('doi:10.1/a') },
      { id: 'doi:10.1/b', line: line('doi:10.1/b', 'Corrected') },
      { id: 'doi:10.1/c', line: line('doi:10.1/c') },
      { id: 'doi:10.1/d', line: null },
      { id: 'doi:10.1/z', line: line('doi:10.1/z') },
    ]);
    expect(text).toBe([line('doi:10.1/a'), line('doi:10.1/b', 'Corrected'), line('doi:10.1/c'), line('doi:10.1/f'), line('doi:10.1/z')].join('\n') + '\n');
    expect(count).toBe(5);
  });

  it('leaves the file as it was with no changes, and drops an id it never had without complaint', () => {
    expect(patch(file(ids), []).text).toBe(file(ids));
    expect(patch(file(ids), [{ id: 'doi:10.1/c', line: null }]).text).toBe(file(ids));
  });

  it('writes an empty file when every line is dropped, and patches an empty file', () => {
    expect(patch(file(ids), ids.map((id) => ({ id, line: null }))).text).toBe('');
    expect(patch('', [{ id: 'doi:10.1/a', line: line('doi:10.1/a') }]).text).toBe(`${line('doi:10.1/a')}\n`);
  });

  it('orders ids as SQLite does, by UTF-8 bytes, and reads ids written with escapes', () => {
    // U+E000 sorts after U+1F600 in UTF-16 code units but before it in UTF-8 bytes.
    const unicode = byBytes(['doi:10.1/\u{e000}', 'doi:10.1/\u{1f600}', 'doi:10.1/é', 'doi:10.1/"quoted"', 'doi:10.1/back\\slash']);
    expect(unicode.indexOf('doi:10.1/\u{e000}')).toBeLessThan(unicode.indexOf('doi:10.1/\u{1f600}'));
    const changes = unicode.map((id) => ({ id, line: line(id, 'New') }));
    const { text } = patch(file(unicode), changes);
    expect(text).toBe(unicode.map((id) => `${line(id, 'New')}\n`).join(''));
    // Added into a file of such ids, each lands in its place.
    const { text: added } = patch(file(unicode.filter((_, i) => i % 2 === 0)), changes.filter((_, i) => i % 2 === 1));
    expect(added).toBe(unicode.map((id, i) => `${i % 2 === 1 ? line(id, 'New') : line(id)}\n`).join(''));
  });

  it('copies lines longer than its read buffer', () => {
    const long = JSON.stringify({ schemaVersion: 1, id: 'doi:10.1/c', abstract: 'x'.repeat(9 << 20) });
    const { text } = patch(`${line('doi:10.1/a')}\n${long}\n${line('doi:10.1/e')}\n`, [{ id: 'doi:10.1/d', line: line('doi:10.1/d') }]);
    expect(text).toBe(`${line('doi:10.1/a')}\n${long}\n${line('doi:10.1/d')}\n${line('doi:10.1/e')}\n`);
  });

  // Lines are checked up to the last change; past it they are copied unread.
  it('refuses a previous file that is cut short, out of order or not works, leaving it as it was and no temporary file', () => {
    const refused = (previous: string, pattern: RegExp) => {
      const dir = tempDir('oai-patch-');
      const path = join(dir, 'works.jsonl');
      writeFileSync(path, previous);
      expect(() => patchSnapshotFile(path, path, [{ id: 'doi:10.1/z', line: line('doi:10.1/z') }])).toThrow(pattern);
      expect(readFileSync(path, 'utf8')).toBe(previous);
      expect(readdirSync(dir)).toEqual(['works.jsonl']);
    };
    refused(file(ids).slice(0, -1), /does not end with a newline/);
    refused(file(['doi:10.1/d', 'doi:10.1/b']), /line 2 is out of id order/);
    refused(file(['doi:10.1/b', 'doi:10.1/b']), /line 2 is out of id order/);
    refused('{"title":"no id here"}\n', /line 1 is not a work/);
    expect(() => patch(file(ids), [{ id: 'doi:10.1/c', line: null }, { id: 'doi:10.1/a', line: null }])).toThrow(/out of id order/);
    expect(() => patch('junk\n', [{ id: 'doi:10.1/a', line: null }])).toThrow(SnapshotPatchError);
  });

  it('leaves no temporary file behind once the file is in place', () => {
    const { path } = patch(file(ids), []);
    expect(existsSync(`${path}.${process.pid}.tmp`)).toBe(false);
  });
});
