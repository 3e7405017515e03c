import type { ListProgress } from '../pipeline/harvest.ts';

/** One status line per list, redrawn in place on a terminal; silent elsewhere. */
export function terminalProgress(stream: NodeJS.WriteStream = process.stderr): ((p: ListProgress) => void) | undefined {
  if (!stream.isTTY) return undefined;
  let lastDraw = 0;
  return (p) => {
    const now = Date.now();
    if (now - lastDraw < 200) return;
    lastDraw = now;
    const seconds = Math.max(0.001, (now - p.startedAt) / 1000);
    const size = p.completeListSize !== null ? ` of ~${p.completeListSize}` : '';
    const line = `${p.source} ${p.list}: ${p.received}${size} records, ${p.pages} pages, ${Math.round(p.received / seconds)} rec/s`;
    stream.write(`\r\x1b[2K${line.slice(0, (stream.columns ?? 100) - 1)}`);
  };
}

export function clearProgress(stream: NodeJS.WriteStream = process.stderr): void {
  if (stream.isTTY) stream.write('\r\x1b[2K');
}
