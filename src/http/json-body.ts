import { badRequest, unsupportedMediaType, GatewayError, LONE_SURROGATE } from '../shared/index.ts';

const JSON_TYPES = new Set(['application/fhir+json', 'application/json']);
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/** `application/fhir+xml` or plain XML: MedCom messages travel as FHIR XML as often as JSON. */
export function isXmlContentType(contentType: string | undefined): boolean {
  const mime = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  return mime === 'application/fhir+xml' || mime === 'application/xml' || mime === 'text/xml';
}

/** Checks `Content-Type` is FHIR JSON (or plain JSON) in UTF-8; anything else is 415. */
export function assertJsonContentType(contentType: string | undefined): void {
  if (!contentType) throw unsupportedMediaType('Content-Type is missing; send application/fhir+json');
  const [mime = '', ...params] = contentType.split(';').map((p) => p.trim().toLowerCase());
  if (!JSON_TYPES.has(mime)) {
    throw unsupportedMediaType(`Content-Type ${mime} is not supported here; send application/fhir+json`);
  }
  const charset = params.find((p) => p.startsWith('charset='))?.slice('charset='.length).replace(/"/g, '');
  if (charset && charset !== 'utf-8' && charset !== 'utf8') {
    throw unsupportedMediaType(`charset ${charset} is not supported; FHIR JSON is UTF-8`);
  }
}

/**
 * Parses a request body as JSON, refusing what JSON.parse would take too kindly or choke on:
 * invalid UTF-8 (decoded strictly instead of into U+FFFD), and nesting deeper than `maxDepth`
 * (checked by a linear scan before parsing, so a hostile body cannot exhaust the stack).
 * Diagnostics name a position, never a fragment of the body.
 */
export function parseJsonBody(raw: Buffer, maxDepth: number): unknown {
  if (raw.length === 0) throw badRequest('The request body is empty; a FHIR JSON resource is expected', undefined, 'structure');
  let text: string;
  try {
    text = decoder.decode(raw);
  } catch {
    throw badRequest('The request body is not valid UTF-8', undefined, 'structure');
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const depth = maxNestingDepth(text);
  if (depth > maxDepth) {
    throw new GatewayError('http.too-deep', 400, [
      { severity: 'error', code: 'too-long', diagnostics: `JSON nesting is ${depth} levels deep; at most ${maxDepth} are accepted` },
    ]);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw badRequest(describeJsonError(text, e), undefined, 'structure');
  }
}

/**
 * FHIR strings may not carry U+0000 (valid JSON, as JSONTestSuite insists, but not a FHIR string),
 * and PostgreSQL cannot store it in text or jsonb: refuse it as the client's error, not a 500.
 */
export function assertNoNulCharacters(value: unknown): void {
  const root = (value as { resourceType?: unknown } | null)?.resourceType;
  const found = unsafeStringAt(value, typeof root === 'string' && /^[A-Za-z]{1,64}$/.test(root) ? root : '$');
  if (found === undefined) return;
  throw badRequest(
    found.nul
      ? 'The resource contains a NUL character (\\u0000), which FHIR strings may not carry'
      : 'The resource contains a string that is not well-formed Unicode (a lone UTF-16 surrogate)',
    [found.path],
    'value',
  );
}

/** Where the first string (or key) with a NUL or a lone surrogate is, as a FHIRPath-like path. */
function unsafeStringAt(v: unknown, path: string): { path: string; nul: boolean } | undefined {
  const bad = (s: string): { nul: boolean } | undefined => (s.includes('\u0000') ? { nul: true } : LONE_SURROGATE.test(s) ? { nul: false } : undefined);
  if (typeof v === 'string') {
    const b = bad(v);
    return b && { path, ...b };
  }
  if (Array.isArray(v)) {
    for (const [i, x] of v.entries()) {
      const found = unsafeStringAt(x, `${path}[${String(i)}]`);
      if (found) return found;
    }
    return undefined;
  }
  if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      const keyBad = bad(k);
      if (keyBad) return { path, ...keyBad };
      const found = unsafeStringAt(x, `${path}.${k}`);
      if (found) return found;
    }
  }
  return undefined;
}

/** Deepest `{`/`[` nesting outside strings. */
export function maxNestingDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      depth++;
      if (depth > max) max = depth;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return max;
}

function describeJsonError(text: string, e: unknown): string {
  const message = e instanceof Error ? e.message : '';
  const position = /at position (\d+)/.exec(message)?.[1];
  if (position === undefined) {
    return /end of JSON input/.test(message) ? 'Malformed JSON: the body ends too early' : 'Malformed JSON: not valid JSON syntax';
  }
  const pos = Number(position);
  const before = text.slice(0, pos);
  const line = before.split('\n').length;
  const column = pos - before.lastIndexOf('\n');
  return `Malformed JSON at line ${line}, column ${column}`;
}

/** A JSON request body (read raw by `express.raw`) as a value: content type, strict UTF-8, depth, no U+0000. */
export function readJsonRequest(contentType: string | undefined, body: unknown, maxDepth: number): unknown {
  assertJsonContentType(contentType);
  const value = parseJsonBody(Buffer.isBuffer(body) ? body : Buffer.alloc(0), maxDepth);
  assertNoNulCharacters(value);
  return value;
}
