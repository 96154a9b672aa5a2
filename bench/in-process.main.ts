/**
 * Runs the in-process benchmarks alone: validation (and seeded invalid variants beside Medplum),
 * OIOXML mapping, memory, and a self-check of the ceiling server.
 * Run: npx tsx bench/in-process.main.ts   (BENCH_QUICK=1 for a short smoke run)
 */
import { ceilingDatabase, ceilingSelfCheck, memoryMeasurement, runOioxmlBench, runValidationBench, startCeilingServer } from './in-process.ts';
import { machine, printResults, QUICK, writeResults } from './lib/harness.ts';
import type { Measurement } from './lib/harness.ts';

const m = machine();
const results: Measurement[] = [memoryMeasurement('at start (modules imported, nothing built)')];
results.push(...(await runValidationBench(m)));
results.push(memoryMeasurement('after validation (validator loaded)'));
results.push(...(await runOioxmlBench(m)));
results.push(memoryMeasurement('after OIOXML (validator, MedCom packages, mappings loaded)'));

const pgUrl = await ceilingDatabase();
const ceiling = await startCeilingServer(pgUrl);
try {
  results.push(await ceilingSelfCheck(ceiling.url, pgUrl !== undefined));
} finally {
  await ceiling.close();
}

printResults(`Sektorbro in-process benchmarks${QUICK ? ' (BENCH_QUICK: smoke run, not figures to publish)' : ''}`, m, results);
for (const r of results) {
  const profile = (r.extra?.profile ?? undefined) as { stages: { name: string; percent: number }[]; topSelf: { fn: string; percent: number }[] } | undefined;
  if (profile === undefined) continue;
  console.log(`\nWhere the time goes in "${r.name}" (CPU profile of this run):`);
  console.table(profile.stages);
  console.table(profile.topSelf.slice(0, 15));
}
const catching = results.find((r) => r.name === 'seeded invalid variants caught');
if (catching?.extra !== undefined) {
  console.log('\nSeeded invalid variants by fault kind:');
  console.table(catching.extra.byKind);
}
console.log(`\nwritten: ${writeResults('in-process', m, results, { quick: QUICK })}`);
