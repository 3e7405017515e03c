#!/usr/bin/env -S node --max-semi-space-size=8
// The program's entry, and the only module that runs on import. The small young generation
// bounds peak memory on long harvests (see the benchmark).
import { main } from './main.ts';

process.exitCode = await main(process.argv.slice(2));
