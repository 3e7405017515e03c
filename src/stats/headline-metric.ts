// Which of a work's download metrics is "its downloads": one rule for the tables and the audit.
import { COUNTER_METRICS } from './counter.ts';
import { IRSTATS2_DOWNLOADS } from './irstats2.ts';

/** The metric a person means by downloads: IRStats2's count, else COUNTER's total requests, else the first there is. */
export function headlineMetric(metrics: Iterable<string>): string | undefined {
  const held = [...metrics];
  return [IRSTATS2_DOWNLOADS, COUNTER_METRICS[0]].find((m) => held.includes(m)) ?? held[0];
}
