// Runs the command line as bin/main would, then prints the process's peak resident memory
// (KiB, every thread) on stderr, so a test can hold a run to a memory bound.
process.on('exit', () => process.stderr.write(`\npeak-rss-kib ${process.resourceUsage().maxRSS}\n`));
await import('../../src/cli/bin.ts');
