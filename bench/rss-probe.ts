// Loaded with --import into a benchmarked process: reports its peak resident memory when it exits.
import { appendFileSync } from 'node:fs';

const target = process.env.PLINTH_BENCH_RSS_FILE;
if (target) process.on('exit', () => appendFileSync(target, `${process.resourceUsage().maxRSS}\n`));
