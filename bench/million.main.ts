/**
 * The KPI over 1 million discharges and the responsibility lookup over 1 million patients (issue #9).
 * Run: npx tsx bench/million.main.ts   (BENCH_QUICK=1: 50,000 rows; BENCH_MILLION_ROWS=n overrides)
 * Needs PostgreSQL (BENCH_DATABASE_URL) and Redis; uses the database sektorbro_bench_million.
 */
import { machine, printResults, writeResults } from './lib/harness.ts';
import { runMillionBench } from './million.ts';

const m = machine();
const results = await runMillionBench(m);
printResults('Sektorbro: queries at scale', m, results);
console.log(`results: ${writeResults('million', m, results)}`);
// Open handles of the gateway's queue connections must not keep a finished benchmark alive.
process.exit(0);
