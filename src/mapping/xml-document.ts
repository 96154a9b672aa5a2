/**
 * The parsed form of an OIOXML message: a small, namespace-aware element tree that keeps the order
 * of mixed content (text blocks with `<Break/>`, `<Bold>`), so formatted text can be rendered faithfully.
 */

/** A run of character data inside an element (entities already decoded). */
export interface XmlText {
  readonly kind: 'text';
  readonly text: string;
}

export interface XmlElement {
  readonly kind: 'element';
  /** Local name, namespace prefix removed (`mm100:Date` → `Date`). */
  readonly name: string;
  /** Namespace URI in scope for the element, when declared. */
  readonly namespace: string | undefined;
  readonly children: readonly XmlNode[];
  /**
   * Location below `Emessage`, e.g. `DischargeLetter/Patient/CivilRegistrationNumber`, with a 1-based
   * index on names that repeat among their siblings (`CCReceiver[2]`). Used in issue expressions.
   */
  readonly path: string;
}

export type XmlNode = XmlElement | XmlText;

/** A parsed OIOXML message; `root` is the document element (normally `Emessage`). */
export interface OioxmlDocument {
  readonly root: XmlElement;
}

export const isElement = (node: XmlNode): node is XmlElement => node.kind === 'element';

export const childElements = (element: XmlElement): XmlElement[] => element.children.filter(isElement);

/** All descendant text, whitespace runs collapsed and trimmed: the value of a simple element. */
export function textOf(element: XmlElement): string {
  const parts: string[] = [];
  const walk = (node: XmlNode): void => {
    if (node.kind === 'text') {
      parts.push(node.text);
      return;
    }
    for (const child of node.children) walk(child);
  };
  walk(element);
  return parts.join('').replace(/\s+/g, ' ').trim();
}

/** Every element of the subtree in document order, `element` first. */
export function descendantsOf(element: XmlElement): XmlElement[] {
  const out: XmlElement[] = [];
  const walk = (e: XmlElement): void => {
    out.push(e);
    for (const child of childElements(e)) walk(child);
  };
  walk(element);
  return out;
}
