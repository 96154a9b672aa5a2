import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseFhirXml } from '../../../src/medcom/index.ts';
import { GatewayError } from '../../../src/shared/index.ts';
import { examplePath, listExamples } from '../../helpers/examples.ts';

const LIMITS = { maxBytes: 5_000_000, maxDepth: 64 };

/** FHIR.js drops whitespace-only text nodes: `<a name="x"> </a>` comes back as `<a name="x"/>`. */
function normaliseDivs(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(normaliseDivs);
  if (typeof node !== 'object' || node === null) return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) {
    out[k] =
      k === 'div' && typeof v === 'string'
        ? v.replace(/<([A-Za-z][\w:-]*)((?:\s[^<>]*?)?)>\s*<\/\1>/g, '<$1$2/>').replace(/>\s+</g, '><')
        : normaliseDivs(v);
  }
  return out;
}

const igFolders = readdirSync(examplePath('medcom-ig'), { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();
const twins = igFolders.flatMap((folder) => {
  const files = listExamples(`medcom-ig/${folder}`);
  return files
    .filter((f) => f.endsWith('.xml') && files.includes(f.replace(/\.xml$/, '.json')))
    .map((f) => ({ folder, xml: f, json: f.replace(/\.xml$/, '.json') }));
});

function rejection(run: () => unknown): GatewayError {
  try {
    run();
  } catch (e) {
    if (e instanceof GatewayError) return e;
    throw e;
  }
  throw new Error('expected a rejection');
}

describe('parseFhirXml on the MedCom IG examples', () => {
  it('when the IG example folders are listed, then 24 XML files have a JSON twin', () => {
    expect(twins).toHaveLength(24);
  });

  it.each(twins)('when $folder/$xml is parsed, then it equals its JSON twin apart from narrative whitespace', ({ folder, xml, json }) => {
    const parsed = parseFhirXml(readFileSync(examplePath('medcom-ig', folder, xml)), LIMITS);
    const twin: unknown = JSON.parse(readFileSync(examplePath('medcom-ig', folder, json), 'utf8'));
    expect(normaliseDivs(parsed)).toEqual(normaliseDivs(twin));
  });

  it('when an IG narrative is parsed, then the only change is whitespace-only text dropped', () => {
    const twin = twins[0];
    if (twin === undefined) throw new Error('no twin');
    const parsed = parseFhirXml(readFileSync(examplePath('medcom-ig', twin.folder, twin.xml), 'utf8'), LIMITS) as { entry: { resource: { text: { div: string } } }[] };
    const json = JSON.parse(readFileSync(examplePath('medcom-ig', twin.folder, twin.json), 'utf8')) as typeof parsed;
    const fromXml = parsed.entry[0]?.resource.text.div ?? '';
    const fromJson = json.entry[0]?.resource.text.div ?? '';
    expect(fromXml).not.toEqual(fromJson);
    expect(fromXml.replace(/\s/g, '')).toEqual(fromJson.replace(/<a name="([^"]*)"> <\/a>/g, '<a name="$1"/>').replace(/\s/g, ''));
  });
});

describe('parseFhirXml on the MedCom message examples', () => {
  const fhirXml = listExamples('medcom', (f) => f.endsWith('.xml') && !f.startsWith('oioxml-'));

  it.each(fhirXml)('when %s is parsed, then it is a message Bundle', (file) => {
    const parsed = parseFhirXml(readFileSync(examplePath('medcom', file)), LIMITS) as { resourceType: string; type: string; entry: unknown[] };
    expect(parsed.resourceType).toBe('Bundle');
    expect(parsed.type).toBe('message');
    expect(parsed.entry.length).toBeGreaterThan(3);
  });

  it('when a Buffer and a string of the same file are parsed, then the results are equal', () => {
    const bytes = readFileSync(examplePath('medcom', 'cc-v5-reply-message.xml'));
    expect(parseFhirXml(bytes, LIMITS)).toEqual(parseFhirXml(bytes.toString('utf8'), LIMITS));
  });

  it('when the XDIS91 conversion is parsed, then its &#xA; line breaks survive as \\n', () => {
    const parsed = parseFhirXml(readFileSync(examplePath('medcom', 'cc-v5-converted-from-xdis91.xml')), LIMITS);
    expect(JSON.stringify(parsed)).toContain('\\n');
  });

  it.each(listExamples('medcom', (f) => f.startsWith('oioxml-')))('when legacy OIOXML %s is given, then it is rejected as not FHIR', (file) => {
    const e = rejection(() => parseFhirXml(readFileSync(examplePath('medcom', file)), LIMITS));
    expect(e.status).toBe(400);
    expect(e.issues[0]?.code).toBe('structure');
  });
});

const SECRET = 'SECRET-2509479989';
const patient = (inner: string): string => `<Patient xmlns="http://hl7.org/fhir">${inner}</Patient>`;

describe('parseFhirXml guard', () => {
  const hostile: [string, string | Buffer][] = [
    ['an external entity (XXE)', `<?xml version="1.0"?><!DOCTYPE p [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>${patient('<id value="&xxe;"/>')}`],
    [
      'a billion-laughs entity expansion',
      `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">` +
        `<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>${patient('<id value="&lol3;"/>')}`,
    ],
    ['a DOCTYPE without entities', `<!DOCTYPE Patient>${patient('<id value="a"/>')}`],
    ['an undeclared entity reference', patient(`<id value="&${SECRET};"/>`)],
    ['an undeclared entity in text', patient(`<text><status value="generated"/><div xmlns="http://www.w3.org/1999/xhtml">&nbsp;${SECRET}</div></text>`)],
    ['a root outside the FHIR namespace', `<Patient xmlns="urn:example"><id value="${SECRET}"/></Patient>`],
    ['a root without namespace', `<Patient><id value="${SECRET}"/></Patient>`],
    ['two root elements', `${patient('<id value="a"/>')}${patient('<id value="b"/>')}`],
    ['an unclosed element', `<Patient xmlns="http://hl7.org/fhir"><id value="${SECRET}"/>`],
    ['a mismatched close', `<Patient xmlns="http://hl7.org/fhir"><id value="a"></Patient>`],
    ['text outside the root', `${patient('<id value="a"/>')}${SECRET}`],
    ['an empty document', ''],
    ['plain text', SECRET],
    ['a declared non-UTF-8 encoding', `<?xml version="1.0" encoding="ISO-8859-1"?>${patient('<id value="a"/>')}`],
    ['Latin-1 bytes', Buffer.from(patient('<gender value="mand"/><name><family value="Sørensen"/></name>'), 'latin1')],
    ['UTF-16 with a byte-order mark', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(patient('<id value="a"/>'), 'utf16le')])],
    ['UTF-16 without a byte-order mark', Buffer.from(patient('<id value="a"/>'), 'utf16le')],
    ['a lone surrogate in a string', patient('<id value="\uD800"/>')],
    ['an unterminated comment', `${patient('<id value="a"/>')}<!-- ${SECRET}`],
  ];

  it.each(hostile)('when the input has %s, then it is a 400 structure error that does not echo the input', (_what, input) => {
    const e = rejection(() => parseFhirXml(input, LIMITS));
    expect(e.status).toBe(400);
    expect(e.issues).toHaveLength(1);
    expect(e.issues[0]?.code).toBe('structure');
    const said = JSON.stringify(e.issues) + e.message;
    expect(said).not.toContain('2509479989');
    expect(said).not.toContain('passwd');
    expect(said).not.toContain('lol');
  });

  it('when the input is one byte over maxBytes, then it is rejected, and at maxBytes it is accepted', () => {
    const xml = patient('<id value="a"/>');
    const size = Buffer.byteLength(xml);
    expect(rejection(() => parseFhirXml(xml, { maxBytes: size - 1, maxDepth: 10 })).issues[0]?.diagnostics).toMatch(/larger/);
    expect(rejection(() => parseFhirXml(Buffer.from(xml), { maxBytes: size - 1, maxDepth: 10 })).status).toBe(400);
    expect(parseFhirXml(xml, { maxBytes: size, maxDepth: 10 })).toEqual({ resourceType: 'Patient', id: 'a' });
  });

  it('when multi-byte characters are counted, then the limit is in UTF-8 bytes, not characters', () => {
    const xml = patient('<name><family value="ææææææææææ"/></name>');
    expect(rejection(() => parseFhirXml(xml, { maxBytes: xml.length, maxDepth: 10 })).status).toBe(400);
  });

  it('when nesting exceeds maxDepth, then it is rejected, and exactly maxDepth is accepted', () => {
    const nested = (depth: number): string => {
      // Patient > extension > extension > … : every level is an element.
      let inner = '<valueString value="x"/>';
      for (let i = 0; i < depth - 2; i++) inner = `<extension url="http://example.org/e${i}">${inner}</extension>`;
      return patient(inner);
    };
    expect(rejection(() => parseFhirXml(nested(20), { maxBytes: 100_000, maxDepth: 19 })).issues[0]?.diagnostics).toMatch(/deeper/);
    const ok = parseFhirXml(nested(20), { maxBytes: 100_000, maxDepth: 20 }) as { resourceType: string };
    expect(ok.resourceType).toBe('Patient');
  });

  it('when deep nesting hides in self-closing tags, comments and quoted ">", then the scan still counts right', () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<!-- <!DOCTYPE x> is only text in a comment -->\n${patient(
      '<id value="a&gt;b"/><name><family value="x > y"/></name>',
    )}`;
    expect(parseFhirXml(xml, { maxBytes: 10_000, maxDepth: 3 })).toEqual({ resourceType: 'Patient', id: 'a>b', name: [{ family: 'x > y' }] });
  });

  it('when a UTF-8 byte-order mark leads, then it is accepted', () => {
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(patient('<id value="a"/>'))]);
    expect(parseFhirXml(bytes, LIMITS)).toEqual({ resourceType: 'Patient', id: 'a' });
  });

  it('when character and predefined entity references are used, then they are decoded', () => {
    expect(parseFhirXml(patient('<id value="a&amp;b&#65;&#x42;"/>'), LIMITS)).toEqual({ resourceType: 'Patient', id: 'a&bAB' });
  });
});
