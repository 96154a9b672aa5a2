import { localToInstant, offsetMinutesAt, toLocalDateTime } from '../shared/time.ts';
import { childElements, textOf } from './xml-document.ts';
import type { XmlElement, XmlNode } from './xml-document.ts';

/** A value the mapping engine puts into FHIR JSON. */
export type MappedValue = string | number | boolean;

/** A transform refused its input; `expected` says what it wanted (never the input itself). */
export interface TransformFailure {
  readonly failed: true;
  readonly expected: string;
}

export type TransformOutput = MappedValue | readonly MappedValue[] | undefined | TransformFailure;

export type TransformParams = Readonly<Record<string, MappedValue>>;

/** Lookup tables of the mapping being run, keys normalised by `normaliseLookupKey`. */
export type LookupTables = ReadonlyMap<string, ReadonlyMap<string, MappedValue>>;

/** What a transform may consult besides its input: data passed in by the caller, no I/O. */
export interface TransformEnv {
  readonly lookups: LookupTables;
  /** SOR id of the organisation with this GLN/EAN, from the caller's directory. */
  readonly sorForGln?: ((gln: string) => string | undefined) | undefined;
}

interface ParamSpec {
  readonly kind: 'string' | 'boolean' | 'lookup';
  readonly required: boolean;
}

interface ElementTransform {
  readonly input: 'element';
  readonly description: string;
  readonly params?: Readonly<Record<string, ParamSpec>>;
  apply(elements: readonly XmlElement[], params: TransformParams, env: TransformEnv): TransformOutput;
}

interface TextTransform {
  readonly input: 'text';
  readonly description: string;
  readonly params?: Readonly<Record<string, ParamSpec>>;
  apply(value: MappedValue, params: TransformParams, env: TransformEnv): TransformOutput;
}

export type TransformDefinition = ElementTransform | TextTransform;

export const fail = (expected: string): TransformFailure => ({ failed: true, expected });

export const isFailure = (output: unknown): output is TransformFailure =>
  typeof output === 'object' && output !== null && (output as { failed?: unknown }).failed === true;

/** Lookup keys compare case- and space-insensitively (`Høj_Prioritet ` = `høj_prioritet`). */
export const normaliseLookupKey = (key: string): string => key.trim().replace(/\s+/g, ' ').toLowerCase();

const XHTML_NS = 'http://www.w3.org/1999/xhtml';

const escapeXml = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** Renders OIOXML formatted text (`<Break/>`, `<Bold>`, `<Italic>`, …) to plain text with `\n` line breaks. */
function renderFormatted(nodes: readonly XmlNode[]): string {
  let out = '';
  for (const node of nodes) {
    if (node.kind === 'text') out += node.text.replace(/\s+/g, ' ');
    else if (node.name === 'Break') out += '\n';
    else out += renderFormatted(node.children);
  }
  return out;
}

/** Trims every line and the block; `compact` also drops empty lines (what MedCom's XDIS91→CC conversion does). */
function tidyLines(text: string, compact: boolean): string {
  const lines = text.split('\n').map((l) => l.trim());
  const kept = compact ? lines.filter((l) => l !== '') : lines;
  return kept.join('\n').replace(/^\n+|\n+$/g, '').replace(/\n{3,}/g, '\n\n');
}

function formattedText(elements: readonly XmlElement[], compact: boolean): string | undefined {
  const blocks = elements.map((e) => tidyLines(renderFormatted(e.children), compact)).filter((b) => b !== '');
  return blocks.length === 0 ? undefined : blocks.join(compact ? '\n' : '\n\n');
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIME = /^(\d{2}):(\d{2})(?::(\d{2}))?$/;

function childText(element: XmlElement, name: string): string | undefined {
  const child = childElements(element).find((c) => c.name === name);
  return child === undefined ? undefined : textOf(child);
}

function isCalendarDate(y: number, m: number, d: number): boolean {
  if (m < 1 || m > 12 || d < 1) return false;
  const days = new Date(Date.UTC(y, m, 0)).getUTCDate();
  return d <= days;
}

/** `YYYY-MM-DD` of a `Date` child, or undefined/failure. */
function localDate(element: XmlElement): { y: number; m: number; d: number } | TransformFailure | undefined {
  const raw = childText(element, 'Date');
  if (raw === undefined || raw === '') return undefined;
  const m = DATE.exec(raw);
  if (!m) return fail('a Date of the form YYYY-MM-DD');
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  if (!isCalendarDate(y, mo, d)) return fail('a calendar-valid Date');
  return { y, m: mo, d };
}

/**
 * OIOXML `Date` + `Time` (Copenhagen wall clock) → FHIR dateTime with the offset in force then
 * (`2023-11-20T17:45:00+01:00`). Without `Time` the value is a FHIR date. DST gaps resolve as in
 * `localToInstant` (shared/time.ts).
 */
function dkLocalDateTime(elements: readonly XmlElement[]): TransformOutput {
  const [element] = elements;
  if (element === undefined) return undefined;
  const date = localDate(element);
  if (date === undefined || isFailure(date)) return date;
  const rawTime = childText(element, 'Time');
  if (rawTime === undefined || rawTime === '') return `${pad(date.y, 4)}-${pad(date.m)}-${pad(date.d)}`;
  const t = TIME.exec(rawTime);
  if (!t) return fail('a Time of the form HH:MM');
  const hour = Number(t[1]);
  const minute = Number(t[2]);
  const second = t[3] === undefined ? 0 : Number(t[3]);
  if (hour > 23 || minute > 59 || second > 59) return fail('a valid Time');
  return formatCopenhagenDateTime(localToInstant({ year: date.y, month: date.m, day: date.d, hour, minute, second }));
}

/** An instant as a FHIR dateTime on the Copenhagen wall clock with its offset, to the second. */
export function formatCopenhagenDateTime(instant: Date): string {
  const wall = toLocalDateTime(instant);
  const offset = offsetMinutesAt(instant);
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  return `${pad(wall.year, 4)}-${pad(wall.month)}-${pad(wall.day)}T${pad(wall.hour)}:${pad(wall.minute)}:${pad(wall.second)}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

function dkLocalDate(elements: readonly XmlElement[]): TransformOutput {
  const [element] = elements;
  if (element === undefined) return undefined;
  const date = localDate(element);
  if (date === undefined || isFailure(date)) return date;
  return `${pad(date.y, 4)}-${pad(date.m)}-${pad(date.d)}`;
}

/** `20-11-2023 kl. 17:45`: a Date/Time pair as Danish readers expect it in narrative. */
function dateTimeText(elements: readonly XmlElement[]): TransformOutput {
  const [element] = elements;
  if (element === undefined) return undefined;
  const date = localDate(element);
  if (date === undefined || isFailure(date)) return date;
  const time = childText(element, 'Time');
  const day = `${pad(date.d)}-${pad(date.m)}-${pad(date.y, 4)}`;
  return time === undefined || time === '' ? day : `${day} kl. ${time}`;
}

const headingKey = (text: string): string => normaliseLookupKey(text.replace(/[:.]+\s*$/, ''));

/**
 * The part of a formatted text block that sits under headings mapped to `section` by the lookup table
 * `headings` (a heading is a top-level `<Bold>` whose text is a key of the table). With `unheaded: true`
 * the text before the first recognised heading belongs to this section too.
 */
function textUnderHeading(elements: readonly XmlElement[], params: TransformParams, env: TransformEnv): TransformOutput {
  const table = env.lookups.get(String(params.headings));
  const wanted = String(params.section);
  const parts: string[] = [];
  for (const element of elements) {
    let current: string | undefined;
    let buffer = '';
    const flush = (): void => {
      const belongs = current === undefined ? params.unheaded === true : current === wanted;
      const tidy = tidyLines(buffer, false);
      if (belongs && tidy !== '') parts.push(tidy);
      buffer = '';
    };
    for (const node of element.children) {
      if (node.kind === 'element' && node.name === 'Bold') {
        const target = table?.get(headingKey(textOf(node)));
        if (target !== undefined) {
          flush();
          current = String(target);
          continue;
        }
      }
      buffer += renderFormatted([node]);
    }
    flush();
  }
  return parts.length === 0 ? undefined : parts.join('\n\n');
}

function uuidHyphenate(value: MappedValue): TransformOutput {
  const raw = String(value).trim().toLowerCase().replace(/^urn:uuid:/, '').replace(/-/g, '');
  if (!/^[0-9a-f]{32}$/.test(raw)) return fail('a UUID (32 hex digits, with or without hyphens)');
  return `${raw.slice(0, 8)}-${raw.slice(8, 12)}-${raw.slice(12, 16)}-${raw.slice(16, 20)}-${raw.slice(20)}`;
}

function glnNormalise(value: MappedValue): TransformOutput {
  const raw = String(value).replace(/\s+/g, '');
  return /^\d{13}$/.test(raw) ? raw : fail('a 13-digit GLN/EAN location number');
}

function kommunekodePad4(value: MappedValue): TransformOutput {
  const raw = String(value).trim();
  return /^\d{1,4}$/.test(raw) ? raw.padStart(4, '0') : fail('a municipality code of 1 to 4 digits');
}

/** Plain text → an XHTML narrative div: blank lines separate paragraphs, single newlines become `<br/>`. */
function narrativeDiv(value: MappedValue): TransformOutput {
  const text = String(value).trim();
  if (text === '') return undefined;
  const paragraphs = text
    .split(/\n\s*\n/)
    .map((p) => `<p>${p.split('\n').map(escapeXml).join('<br/>')}</p>`)
    .join('');
  return `<div xmlns="${XHTML_NS}">${paragraphs}</div>`;
}

/** With `strict: true` an unknown GLN is a failure (reported), otherwise simply absent. */
function sorForGln(value: MappedValue, params: TransformParams, env: TransformEnv): TransformOutput {
  const gln = glnNormalise(value);
  if (typeof gln !== 'string') return gln;
  const sor = env.sorForGln?.(gln);
  if (sor === undefined && params.strict === true) return fail("an EAN/GLN whose SOR id is in the gateway's organisation directory");
  return sor;
}

function sorEndpoint(value: MappedValue): TransformOutput {
  const sor = String(value).trim();
  return /^\d{1,18}$/.test(sor) ? `https://sor2.sum.dsdn.dk/#id=${sor}` : fail('a SOR id');
}

const words = (value: MappedValue): string[] => String(value).trim().split(/\s+/).filter((w) => w !== '');

/** OIOXML surnames carry middle names first (`Test Elmer`): the family name is the last word. */
function surnameFamily(value: MappedValue): TransformOutput {
  return words(value).at(-1);
}

/** The middle names in an OIOXML surname (`Test Elmer` → `Test`), as MedCom's conversion puts them in `given`. */
function surnameMiddleNames(value: MappedValue): TransformOutput {
  const all = words(value);
  return all.length > 1 ? all.slice(0, -1) : undefined;
}

/** The first date written in free text (`21-03-2025`, `21.03.2025` or `2025-03-21`) as a FHIR date. */
function firstDateInText(value: MappedValue): TransformOutput {
  const text = String(value);
  const iso = /(\d{4})-(\d{2})-(\d{2})/.exec(text);
  const dk = /(\d{1,2})[-.](\d{1,2})[-.](\d{4})/.exec(text);
  const candidates: { y: number; m: number; d: number; at: number }[] = [];
  if (iso) candidates.push({ y: Number(iso[1]), m: Number(iso[2]), d: Number(iso[3]), at: iso.index });
  if (dk) candidates.push({ y: Number(dk[3]), m: Number(dk[2]), d: Number(dk[1]), at: dk.index });
  const first = candidates.sort((a, b) => a.at - b.at)[0];
  if (first === undefined || !isCalendarDate(first.y, first.m, first.d)) {
    return fail('free text containing a date (DD-MM-YYYY, DD.MM.YYYY or YYYY-MM-DD)');
  }
  return `${pad(first.y, 4)}-${pad(first.m)}-${pad(first.d)}`;
}

function integer(value: MappedValue): TransformOutput {
  const raw = String(value).trim();
  return /^\d{1,15}$/.test(raw) ? Number(raw) : fail('a non-negative whole number');
}

/**
 * The allowlist of named transforms that mapping specs may use (house-style §2.4: no code in YAML).
 * `element` transforms read the selected XML elements; `text` transforms read a value (the element's
 * text when first in a chain). Adding one: implement it here, document it in mappings/README.md.
 */
export const TRANSFORMS: Readonly<Record<string, TransformDefinition>> = {
  'break-to-newline': {
    input: 'element',
    description: 'formatted text (Break/Bold/Italic…) to plain text, Break → newline, blank lines kept',
    apply: (elements) => formattedText(elements, false),
  },
  'break-to-newline-compact': {
    input: 'element',
    description: 'as break-to-newline, but empty lines dropped (MedCom XDIS91→CareCommunication behaviour)',
    apply: (elements) => formattedText(elements, true),
  },
  'dk-local-datetime': {
    input: 'element',
    description: 'element with Date (+ Time) children, Europe/Copenhagen wall clock → FHIR dateTime with offset',
    apply: dkLocalDateTime,
  },
  'dk-local-date': {
    input: 'element',
    description: 'element with a Date child → FHIR date',
    apply: dkLocalDate,
  },
  'date-time-text': {
    input: 'element',
    description: 'element with Date (+ Time) children → "DD-MM-YYYY kl. HH:MM" for narrative',
    apply: dateTimeText,
  },
  'text-under-heading': {
    input: 'element',
    description: 'the part of formatted text under the Bold headings that the lookup table `headings` maps to `section`',
    params: {
      headings: { kind: 'lookup', required: true },
      section: { kind: 'string', required: true },
      unheaded: { kind: 'boolean', required: false },
    },
    apply: textUnderHeading,
  },
  'uuid-hyphenate': { input: 'text', description: 'UUID with or without hyphens/urn:uuid: → lower-case hyphenated', apply: uuidHyphenate },
  'gln-normalise': { input: 'text', description: 'GLN/EAN → 13 digits, spaces removed', apply: glnNormalise },
  'kommunekode-pad4': { input: 'text', description: 'municipality number → 4 digits zero-padded (163 → 0163)', apply: kommunekodePad4 },
  'narrative-div': { input: 'text', description: 'plain text → escaped XHTML narrative div', apply: narrativeDiv },
  'sor-for-gln': {
    input: 'text',
    description: "GLN/EAN → SOR id from the caller's directory (absent when unknown; a reported failure with strict: true)",
    params: { strict: { kind: 'boolean', required: false } },
    apply: sorForGln,
  },
  'sor-endpoint': { input: 'text', description: 'SOR id → SOR endpoint URI https://sor2.sum.dsdn.dk/#id=<SOR>', apply: sorEndpoint },
  'surname-family': { input: 'text', description: 'last word of an OIOXML surname', apply: surnameFamily },
  'surname-middle-names': { input: 'text', description: 'all but the last word of an OIOXML surname (a list)', apply: surnameMiddleNames },
  'first-date-in-text': { input: 'text', description: 'first date written in free text → FHIR date', apply: firstDateInText },
  integer: { input: 'text', description: 'digits → JSON number', apply: integer },
};
