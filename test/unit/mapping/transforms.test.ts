import { describe, expect, it } from 'vitest';
import { parseOioxml, TRANSFORMS } from '../../../src/mapping/index.ts';
import type { XmlElement } from '../../../src/mapping/index.ts';
import { normaliseLookupKey } from '../../../src/mapping/transforms.ts';
import type { MappedValue, TransformEnv, TransformOutput } from '../../../src/mapping/transforms.ts';

const env: TransformEnv = {
  lookups: new Map([
    [
      'headings',
      new Map<string, MappedValue>([
        [normaliseLookupKey('Anbefalinger til egen læge'), 'anbefaling'],
        [normaliseLookupKey('Forløb'), 'forloeb'],
      ]),
    ],
  ]),
  sorForGln: (gln) => (gln === '5790000209354' ? '265161000016000' : undefined),
};

function element(xml: string): XmlElement {
  const root = parseOioxml(`<Emessage>${xml}</Emessage>`, { maxBytes: 100_000, maxDepth: 10 }).root;
  const first = root.children.find((c): c is XmlElement => c.kind === 'element');
  if (first === undefined) throw new Error('no element');
  return first;
}

function run(name: string, input: string | XmlElement, params: Record<string, MappedValue> = {}): TransformOutput {
  const t = TRANSFORMS[name];
  if (t === undefined) throw new Error(`no transform ${name}`);
  return t.input === 'element' ? t.apply([input as XmlElement], params, env) : t.apply(input as string, params, env);
}

describe('transforms', () => {
  it.each([
    ['2025-01-14', '11:30', '2025-01-14T11:30:00+01:00'],
    ['2025-06-20', '15:30', '2025-06-20T15:30:00+02:00'],
    ['2025-03-30', '02:30', '2025-03-30T03:30:00+02:00'],
    ['2025-10-26', '02:30', '2025-10-26T02:30:00+02:00'],
  ])('when dk-local-datetime reads %s %s (Copenhagen), then it gives %s', (date, time, expected) => {
    expect(run('dk-local-datetime', element(`<A><Date>${date}</Date><Time>${time}</Time></A>`))).toBe(expected);
  });

  it('when dk-local-datetime has no Time, then it gives a FHIR date; a bad date is a failure', () => {
    expect(run('dk-local-datetime', element('<A><Date>2025-01-14</Date></A>'))).toBe('2025-01-14');
    expect(run('dk-local-datetime', element('<A><Date>14-01-2025</Date></A>'))).toMatchObject({ failed: true });
    expect(run('dk-local-datetime', element('<A><Date>2025-01-14</Date><Time>25:00</Time></A>'))).toMatchObject({ failed: true });
  });

  it('when break-to-newline renders formatted text, then Break is a newline, blank lines are kept and pretty-print whitespace is not', () => {
    const text = element('<T>\n   Linje 1<Break/>Linje <Bold>2</Bold><Break/><Break/>Afsnit  2<Break/>\n</T>');
    expect(run('break-to-newline', text)).toBe('Linje 1\nLinje 2\n\nAfsnit 2');
    expect(run('break-to-newline-compact', text)).toBe('Linje 1\nLinje 2\nAfsnit 2');
  });

  it('when text-under-heading splits a text block, then each section gets its part and unheaded text goes where asked', () => {
    const text = element('<T>Indledning<Break/><Bold>Forløb:</Bold><Break/>Et forløb<Break/><Bold>Anbefalinger til egen læge</Bold><Break/>Kontrol</T>');
    expect(run('text-under-heading', text, { headings: 'headings', section: 'anbefaling' })).toBe('Kontrol');
    expect(run('text-under-heading', text, { headings: 'headings', section: 'forloeb', unheaded: true })).toBe('Indledning\n\nEt forløb');
    expect(run('text-under-heading', text, { headings: 'headings', section: 'medicin' })).toBeUndefined();
  });

  it('when narrative-div gets text with markup characters, then they are escaped and paragraphs and line breaks kept', () => {
    expect(run('narrative-div', 'a < b & "c"\nd\n\ne')).toBe('<div xmlns="http://www.w3.org/1999/xhtml"><p>a &lt; b &amp; &quot;c&quot;<br/>d</p><p>e</p></div>');
  });

  it.each([
    ['c39ea6b2605245e4a207415e0205ab6f', 'c39ea6b2-6052-45e4-a207-415e0205ab6f'],
    ['urn:uuid:C39EA6B2-6052-45E4-A207-415E0205AB6F', 'c39ea6b2-6052-45e4-a207-415e0205ab6f'],
  ])('when uuid-hyphenate reads %s, then it gives %s', (input, expected) => {
    expect(run('uuid-hyphenate', input)).toBe(expected);
  });

  it('when identifiers are malformed, then uuid-hyphenate, gln-normalise and kommunekode-pad4 fail', () => {
    expect(run('uuid-hyphenate', 'not-a-uuid')).toMatchObject({ failed: true });
    expect(run('gln-normalise', '579000020935')).toMatchObject({ failed: true });
    expect(run('kommunekode-pad4', '5790000121441')).toMatchObject({ failed: true });
    expect(run('gln-normalise', '5790000 209354')).toBe('5790000209354');
    expect(run('kommunekode-pad4', '163')).toBe('0163');
  });

  it('when sor-for-gln meets an unknown GLN, then it is absent, or a failure with strict: true', () => {
    expect(run('sor-for-gln', '5790000209354')).toBe('265161000016000');
    expect(run('sor-for-gln', '5790001348120')).toBeUndefined();
    expect(run('sor-for-gln', '5790001348120', { strict: true })).toMatchObject({ failed: true });
    expect(run('sor-endpoint', '265161000016000')).toBe('https://sor2.sum.dsdn.dk/#id=265161000016000');
  });

  it('when an OIOXML surname carries a middle name, then the family name is the last word and the rest are given names', () => {
    expect(run('surname-family', 'Test Elmer')).toBe('Elmer');
    expect(run('surname-middle-names', 'Ann Marie Berggren')).toEqual(['Ann', 'Marie']);
    expect(run('surname-middle-names', 'Elmer')).toBeUndefined();
  });

  it.each([
    ['senest 21-01-2025.', '2025-01-21'],
    ['Start senest 2025-06-10 eller før 01.07.2025', '2025-06-10'],
    ['1.2.2025', '2025-02-01'],
  ])('when first-date-in-text reads "%s", then it gives %s', (text, expected) => {
    expect(run('first-date-in-text', text)).toBe(expected);
  });

  it('when first-date-in-text finds no valid date, then it fails', () => {
    expect(run('first-date-in-text', 'Fri tekst')).toMatchObject({ failed: true });
    expect(run('first-date-in-text', '31-02-2025')).toMatchObject({ failed: true });
  });
});
