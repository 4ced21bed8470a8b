/**
 * A tiny XML reader and writer for OSS's request and response bodies.
 *
 * OSS bodies are small, namespace-free documents of elements and text, so
 * the reader keeps exactly that: element names, child elements and the
 * decoded text directly inside each element. Attributes are parsed and
 * dropped; DOCTYPE declarations are refused (no entity expansion, no XXE).
 *
 * @module
 */

/** An element of a parsed document. */
export interface XmlElement {
  /** Tag name as written, e.g. `"Part"`. */
  name: string;
  /** Child elements in document order. */
  children: XmlElement[];
  /** The decoded text directly inside this element (text and CDATA, concatenated; not trimmed). */
  text: string;
}

const NAME_AT = /[A-Za-z_:\u00C0-\uFFFF][A-Za-z0-9_:.\-\u00B7\u00C0-\uFFFF]*/y;
const ELEMENT_NAME = /^[A-Za-z_:\u00C0-\uFFFF][A-Za-z0-9_:.\-\u00B7\u00C0-\uFFFF]*$/;

/** One of the five predefined entities at `raw[amp]`, packed as by `entityAt`; 0 if none. */
function namedEntityAt(raw: string, amp: number): number {
  switch (raw.charCodeAt(amp + 1)) {
    case 0x61: // a
      if (raw.startsWith("amp;", amp + 1)) return 0x26 * 16 + 5;
      if (raw.startsWith("apos;", amp + 1)) return 0x27 * 16 + 6;
      return 0;
    case 0x6c: // l
      return raw.startsWith("lt;", amp + 1) ? 0x3c * 16 + 4 : 0;
    case 0x67: // g
      return raw.startsWith("gt;", amp + 1) ? 0x3e * 16 + 4 : 0;
    case 0x71: // q
      return raw.startsWith("quot;", amp + 1) ? 0x22 * 16 + 6 : 0;
    default:
      return 0;
  }
}

/** Longest entity body between `&` and `;`: `#x10FFFF`. */
const ENTITY_BODY_MAX = 8;

/**
 * Limits of {@linkcode parseXml}: what a hostile document may cost. Every
 * document costs time and memory in proportion to its length (no entity
 * expansion); these bound the part that grows with its structure.
 */
export interface XmlLimits {
  /**
   * Most nodes in the document: elements, runs of text, comments, CDATA sections and
   * processing instructions. Default 100,000 (a 1,000-entry listing has ~15,000).
   */
  maxNodes?: number;
  /** Deepest nesting of elements, the root being 1. Default 32 (OSS documents nest ≤ 6). */
  maxDepth?: number;
}

const DEFAULT_MAX_NODES = 100_000;
/** Longest name quoted in an error message. */
const QUOTED_NAME_MAX = 64;
const DEFAULT_MAX_DEPTH = 32;

// Decoding writes UTF-16 code units into a buffer rather than concatenating one small string
// per entity (a 7.5 MB run of `&amp;` cost +374 MiB and 0.7 s that way); texts up to this
// buffer's size, nearly all of them, share it, longer ones get their own.
const decodeBuffer = new Uint16Array(64 * 1024);
/** Code units turned into a string per call (below engines' argument-count limits). */
const FROM_CHAR_CODE_CHUNK = 8192;

/** The string of `units` as they are (a TextDecoder would replace lone surrogates). */
function stringOf(units: Uint16Array): string {
  const pieces: string[] = [];
  for (let at = 0; at < units.length; at += FROM_CHAR_CODE_CHUNK) {
    pieces.push(
      String.fromCharCode.apply(
        null,
        units.subarray(at, at + FROM_CHAR_CODE_CHUNK) as unknown as number[],
      ),
    );
  }
  return pieces.join("");
}

function decodeEntities(raw: string, at: number): string {
  let amp = raw.indexOf("&");
  if (amp === -1) return raw;
  // Decoded text is never longer than raw text: each reference stands for at most two units.
  const out = raw.length <= decodeBuffer.length ? decodeBuffer : new Uint16Array(raw.length);
  let n = 0;
  let from = 0;
  while (amp !== -1) {
    for (let i = from; i < amp; i++) out[n++] = raw.charCodeAt(i);
    const packed = entityAt(raw, amp, at);
    const code = Math.floor(packed / 16);
    if (code > 0xffff) {
      out[n++] = 0xd800 + ((code - 0x10000) >> 10);
      out[n++] = 0xdc00 + ((code - 0x10000) & 0x3ff);
    } else {
      out[n++] = code;
    }
    from = amp + packed % 16;
    amp = raw.indexOf("&", from);
  }
  for (let i = from; i < raw.length; i++) out[n++] = raw.charCodeAt(i);
  return stringOf(out.subarray(0, n));
}

/**
 * The entity or character reference at `raw[amp]` as `codePoint * 16 + length` (a length is at
 * most 11): one number rather than a pair, as this runs once per entity.
 */
function entityAt(raw: string, amp: number, at: number): number {
  const named = namedEntityAt(raw, amp);
  if (named !== 0) return named;
  let end = amp + 1;
  while (end < raw.length && end - amp - 1 <= ENTITY_BODY_MAX) {
    const c = raw.charCodeAt(end);
    if (c === 0x3b || c === 0x26 || c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) break;
    end++;
  }
  if (raw.charCodeAt(end) !== 0x3b) {
    throw new SyntaxError(`XML: bare '&' or an unknown entity at offset ${at + amp}`);
  }
  const body = raw.slice(amp + 1, end);
  if (!body.startsWith("#")) {
    throw new SyntaxError(`XML: unknown entity '&${body};' at offset ${at + amp}`);
  }
  const hex = body[1] === "x" || body[1] === "X";
  const digits = body.slice(hex ? 2 : 1);
  const code = (hex ? /^[0-9A-Fa-f]+$/ : /^[0-9]+$/).test(digits)
    ? parseInt(digits, hex ? 16 : 10)
    : NaN;
  if (!Number.isFinite(code) || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) {
    throw new SyntaxError(`XML: bad character reference '&${body};' at offset ${at + amp}`);
  }
  return code * 16 + (end + 1 - amp);
}

/**
 * Parses an XML document and returns its root element, in time and memory
 * proportional to its length: entities are decoded in one pass and never
 * expanded recursively (DOCTYPE is refused), and `limits` bound the number
 * and nesting of elements.
 *
 * @param text The document.
 * @param limits Most nodes and deepest nesting; see {@linkcode XmlLimits}.
 * @returns The root element.
 * @throws {SyntaxError} When the document is not well-formed, has no root
 * element, has more than one, declares a DOCTYPE, or exceeds `limits`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { childText, parseXml } from "./xml.ts";
 *
 * const root = parseXml("<Part><PartNumber>1</PartNumber><ETag>&quot;AB&quot;</ETag></Part>");
 * assert.equal(root.name, "Part");
 * assert.equal(childText(root, "ETag"), '"AB"');
 * assert.throws(() => parseXml("<A><B></A>"), SyntaxError);
 * ```
 */
export function parseXml(text: string, limits: XmlLimits = {}): XmlElement {
  const maxNodes = limits.maxNodes ?? DEFAULT_MAX_NODES;
  const maxDepth = limits.maxDepth ?? DEFAULT_MAX_DEPTH;
  let nodes = 0;
  let i = 0;
  const n = text.length;
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;

  const fail = (what: string): never => {
    throw new SyntaxError(`XML: ${what} at offset ${i}`);
  };
  const quoted = (name: string) =>
    name.length > QUOTED_NAME_MAX ? `${name.slice(0, QUOTED_NAME_MAX)}…` : name;
  const countNode = () => {
    if (++nodes > maxNodes) fail(`more than ${maxNodes} nodes`);
  };
  const readName = (): string => {
    NAME_AT.lastIndex = i;
    const m = NAME_AT.exec(text);
    if (m === null) return fail("expected a name");
    i += m[0].length;
    return m[0];
  };
  const skipSpace = () => {
    while (i < n && (text[i] === " " || text[i] === "\t" || text[i] === "\n" || text[i] === "\r")) {
      i++;
    }
  };
  const addText = (s: string) => {
    countNode();
    const top = stack[stack.length - 1];
    if (top) top.text += s;
    else if (s.trim() !== "") fail("text outside the root element");
  };

  if (text.charCodeAt(0) === 0xfeff) i = 1; // byte order mark
  while (i < n) {
    const lt = text.indexOf("<", i);
    if (lt === -1) {
      addText(decodeEntities(text.slice(i), i));
      i = n;
      break;
    }
    if (lt > i) addText(decodeEntities(text.slice(i, lt), i));
    i = lt;
    if (text.startsWith("<?", i)) {
      countNode();
      const end = text.indexOf("?>", i + 2);
      if (end === -1) fail("unterminated processing instruction");
      i = end + 2;
    } else if (text.startsWith("<!--", i)) {
      countNode();
      const end = text.indexOf("-->", i + 4);
      if (end === -1) fail("unterminated comment");
      i = end + 3;
    } else if (text.startsWith("<![CDATA[", i)) {
      countNode();
      const end = text.indexOf("]]>", i + 9);
      if (end === -1) fail("unterminated CDATA section");
      if (stack.length === 0) fail("CDATA outside the root element");
      stack[stack.length - 1].text += text.slice(i + 9, end);
      i = end + 3;
    } else if (text.startsWith("<!", i)) {
      fail("DOCTYPE and other declarations are not accepted");
    } else if (text.startsWith("</", i)) {
      i += 2;
      const name = readName();
      skipSpace();
      if (text[i] !== ">") fail("expected '>'");
      i++;
      const open = stack.pop();
      if (!open) fail(`closing tag </${quoted(name)}> without an opening tag`);
      if (open!.name !== name) fail(`</${quoted(name)}> closes <${quoted(open!.name)}>`);
    } else {
      i++;
      const name = readName();
      // Attributes: parsed for well-formedness, then dropped.
      for (;;) {
        const before = i;
        skipSpace();
        if (text[i] === ">" || text.startsWith("/>", i)) break;
        if (i === before) fail("expected whitespace before an attribute");
        readName();
        skipSpace();
        if (text[i] !== "=") fail("expected '=' after an attribute name");
        i++;
        skipSpace();
        const quote = text[i];
        if (quote !== '"' && quote !== "'") fail("expected a quoted attribute value");
        const end = text.indexOf(quote, i + 1);
        if (end === -1) fail("unterminated attribute value");
        const value = text.slice(i + 1, end);
        if (value.includes("<")) fail("'<' in an attribute value");
        decodeEntities(value, i + 1);
        i = end + 1;
      }
      if (root && stack.length === 0) fail("more than one root element");
      countNode();
      const el: XmlElement = { name, children: [], text: "" };
      if (stack.length > 0) stack[stack.length - 1].children.push(el);
      else root = el;
      if (text[i] === "/") {
        i += 2;
      } else {
        i++;
        if (stack.length >= maxDepth) fail(`elements nested deeper than ${maxDepth}`);
        stack.push(el);
      }
    }
  }
  if (stack.length > 0) fail(`unclosed element <${quoted(stack[stack.length - 1].name)}>`);
  if (!root) fail("no root element");
  return root!;
}

/**
 * The text of the first child element named `name`.
 *
 * @param el The parent element.
 * @param name The child's tag name.
 * @returns Its decoded text, or `undefined` when there is no such child.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { childText, parseXml } from "./xml.ts";
 *
 * assert.equal(childText(parseXml("<A><B>x</B></A>"), "B"), "x");
 * assert.equal(childText(parseXml("<A><B>x</B></A>"), "C"), undefined);
 * ```
 */
export function childText(el: XmlElement, name: string): string | undefined {
  return childElement(el, name)?.text;
}

/**
 * Every child element named `name`, in document order.
 *
 * @param el The parent element.
 * @param name The children's tag name.
 * @returns The matching children (possibly empty).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { childElements, parseXml } from "./xml.ts";
 *
 * assert.equal(childElements(parseXml("<A><B/><B/><C/></A>"), "B").length, 2);
 * ```
 */
export function childElements(el: XmlElement, name: string): XmlElement[] {
  return el.children.filter((c) => c.name === name);
}

/**
 * The first child element named `name`.
 *
 * @param el The parent element.
 * @param name The child's tag name.
 * @returns The child, or `undefined` when there is none.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { childElement, parseXml } from "./xml.ts";
 *
 * assert.equal(childElement(parseXml("<A><B>x</B></A>"), "B")?.text, "x");
 * ```
 */
export function childElement(el: XmlElement, name: string): XmlElement | undefined {
  return el.children.find((c) => c.name === name);
}

/** A value {@linkcode buildXml} writes: text, a nested object, or an array of repeated elements. */
export type XmlValue =
  | string
  | number
  | boolean
  | bigint
  | undefined
  | XmlObject
  | XmlValue[];

/** Child elements by name, in insertion order. */
export interface XmlObject {
  [name: string]: XmlValue;
}

/**
 * Escapes text for XML element content and attribute values.
 *
 * @param s Raw text.
 * @returns The text with `&`, `<`, `>`, `"` and `'` escaped.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { escapeXml } from "./xml.ts";
 *
 * assert.equal(escapeXml('a<b & "c"'), "a&lt;b &amp; &quot;c&quot;");
 * ```
 */
export function escapeXml(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) =>
      c === "&"
        ? "&amp;"
        : c === "<"
        ? "&lt;"
        : c === ">"
        ? "&gt;"
        : c === '"'
        ? "&quot;"
        : "&apos;",
  );
}

function writeElement(out: string[], name: string, value: XmlValue): void {
  if (value === undefined) return;
  if (Array.isArray(value)) {
    for (const item of value) writeElement(out, name, item);
    return;
  }
  if (!ELEMENT_NAME.test(name)) throw new TypeError(`Not an XML element name: ${name}`);
  if (typeof value === "object") {
    out.push(`<${name}>`);
    for (const [childName, childValue] of Object.entries(value)) {
      writeElement(out, childName, childValue);
    }
    out.push(`</${name}>`);
    return;
  }
  out.push(`<${name}>${escapeXml(String(value))}</${name}>`);
}

/**
 * Writes an XML document with an `<?xml version="1.0" encoding="UTF-8"?>`
 * declaration. Object keys become child elements in insertion order; an
 * array repeats its element once per item; `undefined` is omitted; numbers,
 * booleans and bigints are written with `String()`; text is escaped.
 *
 * @param rootName The root element's name.
 * @param value The root element's children.
 * @returns The document.
 * @throws {TypeError} When a key is not a valid element name.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildXml } from "./xml.ts";
 *
 * const xml = buildXml("CompleteMultipartUpload", {
 *   Part: [{ PartNumber: 1, ETag: '"A1"' }, { PartNumber: 2, ETag: '"B2"' }],
 * });
 * assert.equal(
 *   xml,
 *   '<?xml version="1.0" encoding="UTF-8"?>\n<CompleteMultipartUpload>' +
 *     "<Part><PartNumber>1</PartNumber><ETag>&quot;A1&quot;</ETag></Part>" +
 *     "<Part><PartNumber>2</PartNumber><ETag>&quot;B2&quot;</ETag></Part>" +
 *     "</CompleteMultipartUpload>",
 * );
 * ```
 */
export function buildXml(rootName: string, value: XmlObject): string {
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>\n'];
  writeElement(out, rootName, value);
  return out.join("");
}
