import { describe, expect, it } from 'vitest';
import { parseOioxml } from '../../../src/mapping/index.ts';
import type { XmlElement } from '../../../src/mapping/index.ts';
import { GatewayError } from '../../../src/shared/index.ts';

const LIMITS = { maxBytes: 10_000, maxDepth: 10 };
const SECRET = '2509479989';

function rejection(xml: string | Buffer, limits = LIMITS): GatewayError {
  try {
    parseOioxml(xml, limits);
  } catch (e) {
    if (e instanceof GatewayError) return e;
    throw e;
  }
  throw new Error('expected a rejection');
}

function expectStructure400(error: GatewayError, code: string): void {
  expect(error.status).toBe(400);
  expect(error.code).toBe(code);
  expect(error.issues).toHaveLength(1);
  expect(error.issues[0]?.code).toBe('structure');
  expect(JSON.stringify(error.issues)).not.toContain(SECRET);
}

const child = (e: XmlElement, name: string): XmlElement => {
  const found = e.children.find((c): c is XmlElement => c.kind === 'element' && c.name === name);
  if (found === undefined) throw new Error(`no ${name}`);
  return found;
};

describe('parseOioxml', () => {
  it('when the XML has a DOCTYPE with an external entity (XXE), then it is rejected before parsing, without echoing content', () => {
    const xxe = `<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><Emessage><P>${SECRET}&x;</P></Emessage>`;
    expectStructure400(rejection(xxe), 'mapping.unsafe-xml');
  });

  it('when an ENTITY declaration appears without a DOCTYPE keyword, then it is rejected', () => {
    expectStructure400(rejection('<Emessage><!ENTITY a "b"></Emessage>'), 'mapping.unsafe-xml');
  });

  it('when the XML refers to an entity that is not predefined, then it is rejected', () => {
    expectStructure400(rejection(`<Emessage><P>${SECRET} &nbsp;</P></Emessage>`), 'mapping.unsafe-xml');
  });

  it('when the XML is malformed, then it is rejected with the position and no content', () => {
    const error = rejection(`<Emessage><Patient>${SECRET}</Emessage>`);
    expectStructure400(error, 'mapping.malformed-xml');
    expect(error.issues[0]?.diagnostics).toMatch(/line 1, column \d+/);
  });

  it('when elements nest deeper than the limit, then it is rejected before parsing', () => {
    const deep = `${'<a>'.repeat(11)}x${'</a>'.repeat(11)}`;
    expectStructure400(rejection(deep), 'mapping.too-deep');
    expect(() => parseOioxml(`${'<a>'.repeat(10)}x${'</a>'.repeat(10)}`, LIMITS)).not.toThrow();
  });

  it('when self-closing tags, comments and CDATA are present, then they do not count as nesting', () => {
    const xml = `<a>${'<b/>'.repeat(50)}<!-- <c><c><c> --><![CDATA[<d><d><d><d><d><d><d><d><d><d><d>]]></a>`;
    expect(() => parseOioxml(xml, { maxBytes: 10_000, maxDepth: 2 })).not.toThrow();
  });

  it('when the payload is larger than the limit, then it is rejected', () => {
    const big = `<Emessage><T>${'æ'.repeat(6000)}</T></Emessage>`;
    expectStructure400(rejection(big), 'mapping.too-large');
    expectStructure400(rejection(Buffer.from(big, 'utf8')), 'mapping.too-large');
  });

  it('when the bytes are not valid UTF-8, then they are rejected', () => {
    const latin1 = Buffer.from('<Emessage><N>Hørkær</N></Emessage>', 'latin1');
    expectStructure400(rejection(latin1), 'mapping.not-utf8');
  });

  it('when the declaration names ISO-8859-1, then it is rejected even if the bytes happen to be ASCII', () => {
    expectStructure400(rejection('<?xml version="1.0" encoding="iso-8859-1"?><Emessage/>'), 'mapping.not-utf8');
  });

  it('when the payload starts with a UTF-16 byte order mark, then it is rejected', () => {
    expectStructure400(rejection(Buffer.from([0xff, 0xfe, 0x3c, 0x00])), 'mapping.not-utf8');
  });

  it('when the payload has a UTF-8 BOM and a UTF-8 declaration, then it parses', () => {
    const xml = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('<?xml version="1.0" encoding="UTF-8"?><Emessage/>', 'utf8')]);
    expect(parseOioxml(xml, LIMITS).root.name).toBe('Emessage');
  });

  it('when text holds predefined and numeric character references, then they are decoded', () => {
    const doc = parseOioxml('<Emessage><T>&quot;a&quot; &amp; &lt;b&gt; &#xA;&#229;</T></Emessage>', LIMITS);
    expect(child(doc.root, 'T').children).toEqual([{ kind: 'text', text: '"a" & <b> \nå' }]);
  });

  it('when elements carry namespace prefixes, then local names are kept with their namespace and paths start below Emessage', () => {
    const doc = parseOioxml(
      '<Emessage xmlns="urn:a" xmlns:mm="urn:b"><L><mm:Date>2025-01-01</mm:Date><X/><X/></L></Emessage>',
      LIMITS,
    );
    const letter = child(doc.root, 'L');
    const date = child(letter, 'Date');
    expect(date.namespace).toBe('urn:b');
    expect(letter.namespace).toBe('urn:a');
    expect(date.path).toBe('L/Date');
    expect(letter.children.filter((c): c is XmlElement => c.kind === 'element').map((c) => c.path)).toEqual(['L/Date', 'L/X[1]', 'L/X[2]']);
  });

  it('when formatted text mixes text and Break elements, then their order is kept', () => {
    const doc = parseOioxml('<Emessage><T>a<Break/>b<Bold>c</Bold></T></Emessage>', LIMITS);
    expect(child(doc.root, 'T').children.map((c) => (c.kind === 'text' ? c.text : c.name))).toEqual(['a', 'Break', 'b', 'Bold']);
  });
});
