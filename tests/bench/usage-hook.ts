// Preloaded into the measured process: reports its own CPU time and peak RSS at exit.
import { writeFileSync } from 'node:fs';

const target = process.env['BENCH_USAGE_FILE'];
if (target) {
  process.on('exit', () => {
    const usage = process.resourceUsage();
    writeFileSync(target, JSON.stringify({ userUs: usage.userCPUTime, systemUs: usage.systemCPUTime, maxRssKb: usage.maxRSS }));
  });
}
