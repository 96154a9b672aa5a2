import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { GatewayError } from '../shared/index.ts';
import type { XmlElement, XmlNode, OioxmlDocument } from './xml-document.ts';

/** Hard limits applied before any parser sees the payload. */
export interface XmlLimits {
  /** Largest accepted payload in bytes (UTF-8). */
  readonly maxBytes: number;
  /** Deepest accepted element nesting (the document element is depth 1). */
  readonly maxDepth: number;
}

const UTF8_BOM = '\uFEFF';
const PREDEFINED_ENTITIES: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** Rejections carry only what went wrong and where, never payload content (common brief; house-style §2.3). */
function reject(reason: string, diagnostics: string): GatewayError {
  return new GatewayError(`mapping.${reason}`, 400, [{ severity: 'error', code: 'structure', diagnostics }]);
}

/**
 * Parses an OIOXML payload safely: no DTDs, no entity declarations, UTF-8 only, size and depth capped
 * by a scan before parsing (stack-notes §3.16). Entities are not expanded by the parser; only the five
 * predefined XML entities and numeric character references are decoded, and any other reference is an error.
 * Throws GatewayError 400 (issue code `structure`) on any rejection.
 */
export function parseOioxml(xml: string | Buffer, limits: XmlLimits): OioxmlDocument {
  const text = decodeUtf8(xml, limits);
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) {
    throw reject('unsafe-xml', 'XML with a DOCTYPE or ENTITY declaration is not accepted');
  }
  checkDeclaredEncoding(text);
  checkDepth(text, limits.maxDepth);
  // fast-xml-validator (the suggested successor) is not a dependency; the bundled validator is still shipped.
  // eslint-disable-next-line @typescript-eslint/no-deprecated
  const validation = XMLValidator.validate(text);
  if (validation !== true) {
    throw reject('malformed-xml', `the XML is not well-formed (line ${validation.err.line}, column ${validation.err.col})`);
  }
  const parser = new XMLParser({
    preserveOrder: true,
    ignoreAttributes: false,
    attributeNamePrefix: '@_',
    parseTagValue: false,
    parseAttributeValue: false,
    trimValues: false,
    processEntities: false,
    ignoreDeclaration: true,
    ignorePiTags: true,
    removeNSPrefix: false,
    cdataPropName: '#cdata',
  });
  const parsed: unknown = parser.parse(text);
  const roots = Array.isArray(parsed) ? parsed.filter((n): n is Record<string, unknown> => isRecord(n) && elementName(n) !== undefined) : [];
  const [first] = roots;
  if (roots.length !== 1 || first === undefined) {
    throw reject('malformed-xml', 'the XML must have exactly one document element');
  }
  return { root: toElement(first, new Map(), undefined, '') };
}

function decodeUtf8(xml: string | Buffer, limits: XmlLimits): string {
  const size = typeof xml === 'string' ? Buffer.byteLength(xml, 'utf8') : xml.length;
  if (size > limits.maxBytes) {
    throw reject('too-large', `the XML is larger than the limit of ${limits.maxBytes} bytes`);
  }
  let text: string;
  if (typeof xml === 'string') {
    text = xml;
  } else {
    if ((xml[0] === 0xfe && xml[1] === 0xff) || (xml[0] === 0xff && xml[1] === 0xfe)) {
      throw reject('not-utf8', 'only UTF-8 encoded XML is accepted (found a UTF-16 byte order mark)');
    }
    try {
      text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(xml);
    } catch {
      throw reject('not-utf8', 'only UTF-8 encoded XML is accepted (the bytes are not valid UTF-8)');
    }
  }
  return text.startsWith(UTF8_BOM) ? text.slice(1) : text;
}

function checkDeclaredEncoding(text: string): void {
  const declaration = /^\s*<\?xml\s[^>]*?encoding\s*=\s*["']([^"']*)["']/.exec(text);
  const encoding = declaration?.[1]?.toLowerCase();
  if (encoding !== undefined && encoding !== 'utf-8' && encoding !== 'utf8') {
    throw reject('not-utf8', 'only UTF-8 encoded XML is accepted (the XML declaration names another encoding)');
  }
}

/** Linear scan of tag nesting, so a deeply nested payload is refused before it is parsed. */
function checkDepth(text: string, maxDepth: number): void {
  let depth = 0;
  let i = text.indexOf('<');
  while (i !== -1 && i < text.length) {
    if (text.startsWith('<!--', i)) {
      i = skipPast(text, i, '-->');
    } else if (text.startsWith('<![CDATA[', i)) {
      i = skipPast(text, i, ']]>');
    } else if (text.startsWith('<?', i)) {
      i = skipPast(text, i, '?>');
    } else if (text.startsWith('</', i)) {
      depth -= 1;
      i = skipPast(text, i, '>');
    } else {
      const end = endOfTag(text, i);
      if (end === -1) return;
      if (text[end - 1] !== '/') {
        depth += 1;
        if (depth > maxDepth) {
          throw reject('too-deep', `the XML nests elements deeper than the limit of ${maxDepth}`);
        }
      }
      i = end + 1;
    }
    if (i === -1) return;
    i = text.indexOf('<', i);
  }
}

function skipPast(text: string, from: number, token: string): number {
  const at = text.indexOf(token, from);
  return at === -1 ? -1 : at + token.length;
}

/** Index of the `>` closing a start tag, ignoring `>` inside quoted attribute values. */
function endOfTag(text: string, from: number): number {
  let quote: string | undefined;
  for (let j = from + 1; j < text.length; j += 1) {
    const c = text[j];
    if (quote !== undefined) {
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === '>') {
      return j;
    }
  }
  return -1;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** In fast-xml-parser's ordered output every element is `{ <name>: children[], ':@'?: attributes }`. */
function elementName(node: Record<string, unknown>): string | undefined {
  return Object.keys(node).find((k) => k !== ':@' && k !== '#text' && k !== '#cdata');
}

function decodeEntities(raw: string): string {
  return raw.replace(/&([^;&\s]*);?/g, (match, body: string) => {
    if (!match.endsWith(';')) {
      throw reject('malformed-xml', 'the XML contains a bare "&" that is not an entity reference');
    }
    const predefined = PREDEFINED_ENTITIES[body];
    if (predefined !== undefined) return predefined;
    const numeric = /^#(?:x([0-9a-fA-F]{1,6})|([0-9]{1,7}))$/.exec(body);
    const code = numeric ? (numeric[1] !== undefined ? parseInt(numeric[1], 16) : Number(numeric[2])) : undefined;
    if (code === undefined || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) {
      throw reject('unsafe-xml', 'the XML references an entity that is not one of the predefined XML entities');
    }
    return String.fromCodePoint(code);
  });
}

function toElement(node: Record<string, unknown>, scope: ReadonlyMap<string, string>, parentPath: string | undefined, indexSuffix: string): XmlElement {
  const qualified = elementName(node) ?? '';
  const attributes = isRecord(node[':@']) ? node[':@'] : {};
  const localScope = new Map(scope);
  for (const [key, value] of Object.entries(attributes)) {
    if (typeof value !== 'string') continue;
    if (key === '@_xmlns') localScope.set('', decodeEntities(value));
    else if (key.startsWith('@_xmlns:')) localScope.set(key.slice('@_xmlns:'.length), decodeEntities(value));
  }
  const colon = qualified.indexOf(':');
  const prefix = colon === -1 ? '' : qualified.slice(0, colon);
  const name = colon === -1 ? qualified : qualified.slice(colon + 1);
  const path = parentPath === undefined ? name : parentPath === '' ? `${name}${indexSuffix}` : `${parentPath}/${name}${indexSuffix}`;
  const rawChildren = Array.isArray(node[qualified]) ? (node[qualified] as unknown[]) : [];

  const childNames = rawChildren.filter(isRecord).map((c) => localName(elementName(c)));
  const totals = new Map<string, number>();
  for (const n of childNames) if (n !== undefined) totals.set(n, (totals.get(n) ?? 0) + 1);
  const seen = new Map<string, number>();
  // Children of the document element get paths without the `Emessage/` prefix.
  const childBase = parentPath === undefined ? '' : path;

  const children: XmlNode[] = [];
  for (const raw of rawChildren) {
    if (!isRecord(raw)) continue;
    if (typeof raw['#text'] === 'string') {
      children.push({ kind: 'text', text: decodeEntities(raw['#text']) });
      continue;
    }
    if (Array.isArray(raw['#cdata'])) {
      const cdata = raw['#cdata'] as unknown[];
      const text = cdata.map((c) => (isRecord(c) && typeof c['#text'] === 'string' ? c['#text'] : '')).join('');
      children.push({ kind: 'text', text });
      continue;
    }
    const childName = localName(elementName(raw));
    if (childName === undefined) continue;
    const index = (seen.get(childName) ?? 0) + 1;
    seen.set(childName, index);
    const suffix = (totals.get(childName) ?? 0) > 1 ? `[${index}]` : '';
    children.push(toElement(raw, localScope, childBase, suffix));
  }
  return { kind: 'element', name, namespace: localScope.get(prefix), children, path };
}

function localName(qualified: string | undefined): string | undefined {
  if (qualified === undefined) return undefined;
  const colon = qualified.indexOf(':');
  return colon === -1 ? qualified : qualified.slice(colon + 1);
}
