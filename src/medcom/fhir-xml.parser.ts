import { Fhir } from 'fhir';
import { GatewayError, isResourceLike, LONE_SURROGATE } from '../shared/index.ts';

/** Caps applied before any XML parser sees the input (stack-notes.md §3.16). */
export interface XmlLimits {
  /** Largest accepted input in UTF-8 bytes. */
  maxBytes: number;
  /** Deepest accepted element nesting (the root element is depth 1). */
  maxDepth: number;
}

const FHIR_NAMESPACE = /\sxmlns\s*=\s*(["'])http:\/\/hl7\.org\/fhir\1/;
const UNSAFE_ENTITY = /&(?!(?:lt|gt|amp|quot|apos|#\d+|#x[0-9a-fA-F]+);)/;
const ENCODING_DECLARATION = /^<\?xml[^>]*?\sencoding\s*=\s*(["'])([^"']*)\1/;

const converter = new Fhir();
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The only error this module throws; its diagnostics never quote the input. */
const rejected = (diagnostics: string): GatewayError =>
  new GatewayError('medcom.xml-rejected', 400, [{ severity: 'error', code: 'structure', diagnostics }]);

/**
 * Parses FHIR XML into the FHIR JSON object model with FHIR.js, after a guard that rejects what a
 * gateway must never hand to an XML parser: DOCTYPE/ENTITY declarations (XXE, billion laughs),
 * input that is not UTF-8, input over `maxBytes`, nesting over `maxDepth`, unknown entity
 * references, more than one root, unclosed elements and a root outside the FHIR namespace. The
 * guard is one linear scan. Every failure is a 400 `structure` GatewayError without content.
 *
 * FHIR.js drops whitespace-only text nodes, so `<a name="x"> </a>` in a narrative comes back as
 * `<a name="x"/>`; nothing else differs from the JSON twins of the MedCom examples.
 */
export function parseFhirXml(xml: string | Buffer, limits: XmlLimits): unknown {
  const text = decode(xml, limits.maxBytes);
  scanXml(text, limits.maxDepth);
  let parsed: unknown;
  try {
    parsed = converter.xmlToObj(text);
  } catch {
    throw rejected('The XML is not a well-formed FHIR resource');
  }
  if (!isResourceLike(parsed)) throw rejected('The XML is not a FHIR resource');
  return parsed;
}

function decode(xml: string | Buffer, maxBytes: number): string {
  let text: string;
  if (typeof xml === 'string') {
    if (Buffer.byteLength(xml, 'utf8') > maxBytes) throw rejected(`The XML is larger than ${maxBytes} bytes`);
    if (LONE_SURROGATE.test(xml)) throw rejected('The XML is not valid UTF-8');
    text = xml;
  } else {
    if (xml.byteLength > maxBytes) throw rejected(`The XML is larger than ${maxBytes} bytes`);
    const b0 = xml[0];
    const b1 = xml[1];
    if ((b0 === 0xfe && b1 === 0xff) || (b0 === 0xff && b1 === 0xfe) || b0 === 0x00) {
      throw rejected('The XML is not UTF-8 encoded');
    }
    try {
      text = utf8.decode(xml);
    } catch {
      throw rejected('The XML is not valid UTF-8');
    }
  }
  if (text.includes('\u0000')) throw rejected('The XML is not UTF-8 encoded');
  if (text.startsWith('\uFEFF')) text = text.slice(1);
  const encoding = ENCODING_DECLARATION.exec(text)?.[2];
  if (encoding !== undefined && !/^utf-?8$/i.test(encoding)) throw rejected('The XML declares an encoding other than UTF-8');
  return text;
}

/** One pass over the document: markup kinds, nesting depth, entity references, a single FHIR root. */
function scanXml(text: string, maxDepth: number): void {
  const n = text.length;
  let i = 0;
  let depth = 0;
  let rootSeen = false;
  let rootClosed = false;
  while (i < n) {
    const lt = text.indexOf('<', i);
    const end = lt === -1 ? n : lt;
    if (end > i) {
      const chars = text.slice(i, end);
      if (depth === 0 && chars.trim() !== '') throw rejected('The XML has text outside its root element');
      if (UNSAFE_ENTITY.test(chars)) throw rejected('The XML uses an entity reference that is not predefined');
    }
    if (lt === -1) break;
    if (text.startsWith('<!--', lt)) {
      i = skipPast(text, '-->', lt + 4);
      continue;
    }
    if (text.startsWith('<![CDATA[', lt)) {
      if (depth === 0) throw rejected('The XML has text outside its root element');
      i = skipPast(text, ']]>', lt + 9);
      continue;
    }
    const next = text.charAt(lt + 1);
    if (next === '!') throw rejected('The XML contains a DOCTYPE or ENTITY declaration, which is not accepted');
    if (next === '?') {
      i = skipPast(text, '?>', lt + 2);
      continue;
    }
    if (next === '/') {
      i = skipPast(text, '>', lt + 2);
      depth -= 1;
      if (depth < 0) throw rejected('The XML closes an element it never opened');
      if (depth === 0) rootClosed = true;
      continue;
    }
    const close = endOfTag(text, lt + 1);
    const tag = text.slice(lt + 1, close);
    if (UNSAFE_ENTITY.test(tag)) throw rejected('The XML uses an entity reference that is not predefined');
    if (rootClosed) throw rejected('The XML has more than one root element');
    if (!rootSeen) {
      rootSeen = true;
      if (!FHIR_NAMESPACE.test(tag)) throw rejected('The XML root element is not in the FHIR namespace');
    }
    if (depth + 1 > maxDepth) throw rejected(`The XML nests elements deeper than ${maxDepth} levels`);
    if (tag.endsWith('/')) {
      if (depth === 0) rootClosed = true;
    } else {
      depth += 1;
    }
    i = close + 1;
  }
  if (!rootSeen) throw rejected('The XML has no root element');
  if (depth !== 0) throw rejected('The XML has elements that are never closed');
}

function skipPast(text: string, terminator: string, from: number): number {
  const at = text.indexOf(terminator, from);
  if (at === -1) throw rejected('The XML ends inside markup');
  return at + terminator.length;
}

/** Index of the `>` that ends a start tag, skipping quoted attribute values. */
function endOfTag(text: string, from: number): number {
  let quote: string | undefined;
  for (let j = from; j < text.length; j++) {
    const c = text.charAt(j);
    if (quote !== undefined) {
      if (c === quote) quote = undefined;
      else if (c === '<') throw rejected('The XML has a "<" inside an attribute value');
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === '>') {
      return j;
    } else if (c === '<') {
      throw rejected('The XML has an unterminated start tag');
    }
  }
  throw rejected('The XML ends inside markup');
}
