/**
 * `npm run bench`: the whole benchmark suite of issue #9 in one run on one machine, so every ratio
 * compares figures from the same run: validation and OIOXML mapping in-process, the ceiling (bare
 * express + JSON.parse + ajv + one durable PostgreSQL insert), ingest, `$process-message` and
 * end-to-end delivery over HTTP on PGlite and on PostgreSQL + Redis, and the KPI and
 * responsibility queries over a million rows. Prints one table and writes bench/results/bench-*.json.
 *
 * BENCH_QUICK=1 shrinks every count (a smoke run); BENCH_SKIP=million,http,in-process leaves parts out.
 * Load, soak and scale-out are their own commands (npm run bench:load | bench:soak | bench:scale-out).
 */
import { runHttpBench } from './http.ts';
import { ceilingDatabase, memoryMeasurement, runOioxmlBench, runValidationBench, startCeilingServer } from './in-process.ts';
import { machine, printResults, QUICK, writeResults, type Measurement } from './lib/harness.ts';
import { runMillionBench } from './million.ts';

const skip = new Set((process.env.BENCH_SKIP ?? '').split(',').map((s) => s.trim()).filter((s) => s !== ''));
const m = machine();
const results: Measurement[] = [memoryMeasurement('bench process at start')];
const started = performance.now();

if (!skip.has('in-process')) {
  results.push(...(await runValidationBench(m)));
  results.push(...(await runOioxmlBench(m)));
  results.push(memoryMeasurement('bench process after validation and mapping'));
}
if (!skip.has('http')) {
  const pgUrl = await ceilingDatabase();
  const ceiling = await startCeilingServer(pgUrl);
  try {
    results.push(...(await runHttpBench(m, { ceilingUrl: `${ceiling.url}/ceiling` })));
  } finally {
    await ceiling.close();
  }
}
if (!skip.has('million')) results.push(...(await runMillionBench(m)));

printResults(`Sektorbro benchmarks${QUICK ? ' (BENCH_QUICK: smoke run, not figures to publish)' : ''}`, m, results);
const missed = results.filter((r) => r.target !== undefined && !r.target.met);
console.log(`\ntargets: ${String(results.filter((r) => r.target?.met === true).length)} met, ${String(missed.length)} missed${missed.length > 0 ? `: ${missed.map((r) => `${r.name} (${r.backend})`).join('; ')}` : ''}`);
console.log(`took ${String(Math.round((performance.now() - started) / 1000))} s`);
console.log(`written: ${writeResults('bench', m, results, { quick: QUICK, skipped: [...skip] })}`);
