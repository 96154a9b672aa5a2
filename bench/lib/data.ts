/**
 * Realistic Danish test data for the benchmarks, deterministic from a seed: the demo's generator
 * (src/demo: MedCom's HospitalNotification examples and the published epikrise example, re-identified
 * per patient, stay and department) gives the HospitalNotifications and epikriser; epikriser are
 * grown to a target size with clinical narrative in the Forløb section, the way long stays read;
 * XDIS01 letters are the golden OIOXML fixture with a new letter id and CPR number each.
 */
import { readFileSync } from 'node:fs';
import { loadConfig } from '../../src/config/index.ts';
import { generateDemo, mulberry32, readDocumentTemplates, type DemoClientId, type DemoPlan } from '../../src/demo/index.ts';
import type { AnyResource } from '../../src/shared/index.ts';

export interface BenchRequest {
  /** The demo client entitled to send it (its own department's client, else the relay or admin). */
  client: DemoClientId;
  path: '/fhir/$process-message' | '/fhir/Bundle' | '/ingest/oioxml';
  body: string;
}

/** A plan of about `discharges` discharges (STIN, SLHJ, epikrise, udskrivningsrapport each), the same for the same seed. */
export function benchPlan(discharges: number, seed = 1): DemoPlan {
  const perDay = 40;
  const days = Math.max(1, Math.ceil(discharges / perDay) + 2);
  return generateDemo({ days, perDay, seed, until: new Date('2026-11-27T12:00:00+01:00') }, readDocumentTemplates(), loadConfig({ NODE_ENV: 'test' }).timeliness);
}

/** The plan's HospitalNotifications (STIN then SLHJ per stay, in time order) as `$process-message` bodies. */
export function hospitalNotifications(plan: DemoPlan): BenchRequest[] {
  return plan.requests
    .filter((r) => r.step === 'STIN' || r.step === 'SLHJ')
    .map((r) => ({ client: r.client, path: '/fhir/$process-message', body: JSON.stringify(r.body()) }));
}

// Sentences of the kind a Forløb section holds; combined by the seeded generator, so no two documents read alike.
const FORLOEB = [
  'Indlagt akut med tiltagende åndenød og bilaterale underbensødemer gennem en uge.',
  'Ekkokardiografi viste nedsat venstre ventrikels uddrivningsfraktion på 30 procent.',
  'Behandlet med intravenøs furosemid med god diurese og vægttab på 4 kg.',
  'Opstartet på sacubitril/valsartan, dosis øges ved kontrol i ambulatoriet.',
  'Under indlæggelsen paroksystisk atrieflimren, konverteret spontant til sinusrytme.',
  'Nyrefunktionen let påvirket ved indlæggelsen, normaliseret ved udskrivelsen.',
  'Patienten er mobiliseret til gang med rollator og klarer selv personlig hygiejne.',
  'Hjemmesygeplejen varetager medicindosering og vægtkontrol tre gange ugentligt.',
  'Kaliumniveauet kontrolleres hos egen læge om en uge på grund af diuretisk behandling.',
  'Pårørende er informeret og deltog i udskrivelsessamtalen sammen med patienten.',
  'Blodtryk ved udskrivelsen 118/72 mmHg, puls 68 regelmæssig.',
  'Der er henvist til hjerterehabilitering i kommunalt regi efter sundhedsloven § 140.',
];

const escapeXml = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * The document grown to about `targetBytes` of compact JSON: paragraphs are added to the Forløb
 * section's narrative. A document larger than that loses the optional narratives of its entries
 * other than the Composition, and is then as small as the example allows.
 */
export function grownTo(bundle: AnyResource, targetBytes: number, seed: number): AnyResource {
  const out = structuredClone(bundle);
  const composition = (out.entry as { resource: AnyResource & fhir4.Composition }[] | undefined)?.[0]?.resource;
  const section = composition?.section?.find((s) => s.code?.coding?.some((c) => c.code === 'forloeb'));
  if (section?.text === undefined) throw new Error('the epikrise has no Forløb section narrative to grow');
  if (JSON.stringify(out).length > targetBytes) {
    // Smaller than the example: the generated narratives of the other entries are optional, the Composition's is not.
    for (const e of (out.entry as { resource: AnyResource }[] | undefined)?.slice(1) ?? []) delete e.resource.text;
  }
  const rng = mulberry32(seed);
  const paragraphs: string[] = [];
  const size = (): number => JSON.stringify(out).length;
  const close = section.text.div.lastIndexOf('</div>');
  const head = section.text.div.slice(0, close);
  // Grow in steps, measuring now and then: serialising a 200 KB document for every sentence would be slow.
  while (size() < targetBytes) {
    const missing = targetBytes - size();
    const batch = Math.max(1, Math.floor(missing / 400));
    for (let b = 0; b < batch; b++) {
      const day = paragraphs.length + 1;
      const sentences = Array.from({ length: 3 }, () => FORLOEB[Math.floor(rng() * FORLOEB.length)] ?? '');
      paragraphs.push(`<p>Dag ${String(day)}: ${escapeXml(sentences.join(' '))}</p>`);
    }
    section.text.div = `${head}${paragraphs.join('')}</div>`;
  }
  return out;
}

/** `count` epikriser of about `kb` KB each, as `POST /fhir/Bundle` bodies, each a new letter for its own patient and stay. */
export function epikriser(plan: DemoPlan, kb: number, count: number): BenchRequest[] {
  const sources = plan.requests.filter((r) => r.step === 'epikrise');
  if (sources.length < count) throw new Error(`the plan holds ${String(sources.length)} epikriser, ${String(count)} wanted: plan more discharges`);
  return sources.slice(0, count).map((r, i) => ({ client: r.client, path: '/fhir/Bundle', body: JSON.stringify(grownTo(r.body(), kb * 1024, i + 1)) }));
}

const XDIS01 = new URL('../../test/fixtures/medcom-oioxml/xdis01-epikrise-herlev-ami.input.xml', import.meta.url);
const FIXTURE_CPR = '2509479989';

/** A valid-looking CPR number for patient `i` (born 1930–1999; the modulus 11 check is not required, domain.md §5). */
export function benchCpr(i: number): string {
  const day = 1 + (i % 28);
  const month = 1 + (Math.floor(i / 28) % 12);
  const year = 30 + (Math.floor(i / 336) % 70);
  const serial = 1000 + (Math.floor(i / 23520) % 9000);
  return `${String(day).padStart(2, '0')}${String(month).padStart(2, '0')}${String(year).padStart(2, '0')}${String(serial)}`;
}

/** `count` XDIS01 letters (the golden fixture) with their own envelope and letter ids and their own patient. */
export function xdis01Letters(count: number): string[] {
  const xml = readFileSync(XDIS01, 'utf8');
  return Array.from({ length: count }, (_, i) =>
    xml
      .replace('<Identifier>HGH20250114150201</Identifier>', `<Identifier>BENCH${String(i).padStart(9, '0')}</Identifier>`)
      .replace('<Identifier>EPI-2025-000417</Identifier>', `<Identifier>EPI-BENCH-${String(i).padStart(7, '0')}</Identifier>`)
      .replaceAll(FIXTURE_CPR, benchCpr(i)),
  );
}
