/**
 * The HTTP benchmarks (bench/http.ts) on their own, with the same-run ceiling of bench/in-process.ts
 * (bare express + JSON.parse + ajv R4 + one durable PostgreSQL insert): prints the table under the
 * machine line and writes bench/results/http-<timestamp>.json.
 *
 * Run: npx tsx bench/http.main.ts   (BENCH_QUICK=1 for a short smoke run; BENCH_CONCURRENCY, default 8;
 * BENCH_DELIVERY_RATE, documents per second of the end-to-end run, default 20; CEILING_URL to drive
 * another ceiling server instead)
 */
import { runHttpBench } from './http.ts';
import { ceilingDatabase, startCeilingServer } from './in-process.ts';
import { machine, printResults, QUICK, writeResults } from './lib/harness.ts';

const m = machine();
const given = process.env.CEILING_URL;
const ceiling = given === undefined ? await startCeilingServer(await ceilingDatabase()) : undefined;
try {
  const ceilingUrl = given ?? `${ceiling?.url ?? ''}/ceiling`;
  const results = await runHttpBench(m, { ceilingUrl });
  printResults(`Sektorbro HTTP benchmarks${QUICK ? ' (BENCH_QUICK: smoke run, not figures to publish)' : ''}`, m, results);
  console.log(`\nwritten: ${writeResults('http', m, results, { quick: QUICK, ceilingUrl })}`);
} finally {
  await ceiling?.close();
}
