// Reading the generic XML form of RecordMetadata ({ xml: { root: [element] } }) by local
// names, as the formats need it.
import { attributesOf, childrenOf, elementOf, localName, textOf, type XmlElement, type XmlValue } from '../oai/xml.ts';

export { attributesOf, childrenOf, elementOf, localName, textOf };
export type { XmlElement, XmlValue };

/** The root element and its name, or undefined when the form holds none. */
export function rootOf(xml: Record<string, unknown>): { name: string; element: XmlElement } | undefined {
  for (const [name, values] of Object.entries(xml)) {
    const element = Array.isArray(values) ? elementOf(values[0] as XmlValue) : undefined;
    if (element) return { name, element };
  }
  return undefined;
}

/** The namespace the root's prefix (or default) is bound to, if declared on the root. */
export function namespaceOf(root: { name: string; element: XmlElement }): string | undefined {
  const colon = root.name.indexOf(':');
  const attrs = attributesOf(root.element);
  return attrs[colon === -1 ? 'xmlns' : `xmlns:${root.name.slice(0, colon)}`];
}

export function texts(element: XmlElement, name: string): string[] {
  return childrenOf(element, name)
    .map((v) => textOf(v).replace(/\s+/g, ' ').trim())
    .filter((t) => t !== '');
}

export function text(element: XmlElement, name: string): string | null {
  return texts(element, name)[0] ?? null;
}

export function child(element: XmlElement, name: string): XmlElement | undefined {
  return elementOf(childrenOf(element, name)[0]);
}

/** Items of an EPrints multiple field: <field><item>…</item></field>. */
export function items(element: XmlElement, name: string): XmlValue[] {
  const field = child(element, name);
  return field ? childrenOf(field, 'item') : [];
}
