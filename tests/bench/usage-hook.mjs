// Preloaded into the measured process: reports its CPU time and peak RSS at exit.
// Plain JavaScript on purpose: a .ts preload would load Node's type stripper into the
// measured process and its worker, and inflate the very memory figure it reports.
import { writeFileSync } from 'node:fs';
import { isMainThread } from 'node:worker_threads';

const target = process.env.BENCH_USAGE_FILE;
if (target && isMainThread) {
  process.on('exit', () => {
    const usage = process.resourceUsage();
    writeFileSync(target, JSON.stringify({ userUs: usage.userCPUTime, systemUs: usage.systemCPUTime, maxRssKb: usage.maxRSS }));
  });
}
