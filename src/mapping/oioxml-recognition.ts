import { GatewayError } from '../shared/index.ts';
import { childElements, descendantsOf, textOf } from './xml-document.ts';
import type { OioxmlDocument, XmlElement } from './xml-document.ts';

/** What identifies an OIOXML letter: its root element below `Emessage` and `Letter/TypeCode|VersionCode`. */
export interface OioxmlRecognition {
  /** Local name of the letter element, e.g. `DischargeLetter`. */
  readonly root: string;
  /** Upper-cased `Letter/TypeCode`, e.g. `XDIS01`. */
  readonly typeCode: string;
  /** Upper-cased `Letter/VersionCode` (`xd0134l` and `XD0134L` are the same code), e.g. `XD0134L`. */
  readonly versionCode: string;
  /** Namespace URI of the letter element, when declared. */
  readonly namespace: string | undefined;
}

/** Codes and element names are echoed in diagnostics only when they look like codes, never as free text. */
const CODE_LIKE = /^[A-Za-z0-9_.-]{1,64}$/;
export const safeName = (value: string | undefined): string => (value !== undefined && CODE_LIKE.test(value) ? value : '(unrecognisable)');

const unknownFamily = (diagnostics: string, expression?: string): GatewayError =>
  new GatewayError('mapping.unknown-document', 415, [
    { severity: 'error', code: 'not-supported', diagnostics, ...(expression === undefined ? {} : { expression: [expression] }) },
  ]);

/** The letter element: the first child of `Emessage` that is not the `Envelope`. */
export function letterElementOf(doc: OioxmlDocument): XmlElement | undefined {
  return childElements(doc.root).find((e) => e.name !== 'Envelope');
}

/**
 * Reads the document family and version from `Emessage/<Root>/Letter/TypeCode|VersionCode`
 * (medcom.md §9). Throws GatewayError 415 when the XML is not an OIOXML letter at all; whether the family
 * and version are supported is decided against the mapping registry by the caller.
 */
export function recogniseOioxml(doc: OioxmlDocument): OioxmlRecognition {
  if (doc.root.name !== 'Emessage') {
    throw unknownFamily(`not an OIOXML message: the document element is ${safeName(doc.root.name)}, not Emessage`);
  }
  const letterRoot = letterElementOf(doc);
  if (letterRoot === undefined) {
    throw unknownFamily('not an OIOXML letter: Emessage holds no letter element besides the Envelope');
  }
  const letter = childElements(letterRoot).find((e) => e.name === 'Letter');
  const typeElement = letter === undefined ? undefined : childElements(letter).find((e) => e.name === 'TypeCode');
  const versionElement = letter === undefined ? undefined : childElements(letter).find((e) => e.name === 'VersionCode');
  const typeCode = typeElement === undefined ? '' : textOf(typeElement).toUpperCase();
  const versionCode = versionElement === undefined ? '' : textOf(versionElement).toUpperCase();
  if (typeCode === '') {
    throw unknownFamily(`unknown document family: root element ${safeName(letterRoot.name)} has no Letter/TypeCode`, `${safeName(letterRoot.name)}/Letter/TypeCode`);
  }
  return { root: letterRoot.name, typeCode, versionCode, namespace: letterRoot.namespace };
}

/** Every GLN (EAN location number) the letter names, in `EANIdentifier` elements: the caller resolves them to SOR codes. */
export function descendantGlns(doc: OioxmlDocument): string[] {
  const glns = descendantsOf(doc.root)
    .filter((e) => e.name === 'EANIdentifier')
    .map(textOf)
    .filter((t) => /^\d{13}$/.test(t));
  return [...new Set(glns)];
}
