import { describe, expect, it } from 'vitest';
import { LineBuffer } from '../../src/sinks/line-buffer.ts';
import { packJsonTexts } from '../../src/store/json-bytes.ts';

/** A buffer whose output is kept, each hand-over apart. */
function collecting() {
  const writes: Buffer[] = [];
  const buffer = new LineBuffer((bytes, start, end) => writes.push(Buffer.from(bytes.subarray(start, end))));
  return { buffer, writes, text: () => Buffer.concat(writes).toString('utf8') };
}

describe('line buffer', () => {
  it('writes text and UTF-8 bytes as one line each, with their byte lengths', () => {
    const { buffer, text } = collecting();
    const [json] = packJsonTexts(['{"title":"Ünïcødé 研究"}']);
    expect(buffer.line(['{"record":', json!, '}'])).toBe(Buffer.byteLength('{"record":{"title":"Ünïcødé 研究"}}\n'));
    expect(buffer.line('plain')).toBe(6);
    buffer.flush();
    expect(text()).toBe('{"record":{"title":"Ünïcødé 研究"}}\nplain\n');
  });

  it('hands on a full buffer before it is reused, and parts larger than a buffer whole, in order', () => {
    const { buffer, writes, text } = collecting();
    const line = `${'é'.repeat(50_000)}`;
    const huge = 'x'.repeat(300_000);
    for (let i = 0; i < 5; i++) buffer.line(line);
    buffer.line(huge);
    buffer.line(packJsonTexts([`"${'y'.repeat(400_000)}"`])[0]!);
    buffer.flush();
    expect(writes.length).toBeGreaterThan(3);
    expect(text()).toBe(`${`${line}\n`.repeat(5)}${huge}\n"${'y'.repeat(400_000)}"\n`);
  });

  it('forgets what was gathered when dropped', () => {
    const { buffer, text } = collecting();
    buffer.line('lost');
    buffer.drop();
    buffer.line('kept');
    buffer.flush();
    expect(text()).toBe('kept\n');
  });
});
