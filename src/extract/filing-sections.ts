/**
 * Items 1, 1A, 7 and 7A of a 10-K primary document, as clean text.
 *
 * Two steps. htmlparser2's streaming parser turns the document into lines (one a block element,
 * table cells joined by tabs; script, style, `ix:header` and `display:none` dropped). Then item
 * headings are found among the lines and each kept item is cut out:
 * - a heading is a line starting "Item 1A." / "ITEM 1A —" / "Item 1A:" / "PART I, ITEM 1A." / "Items 1
 *   and 2.", whatever spans it was split across; "Item 7 of this report…" and 8-K items ("7.01") are not;
 * - the table of contents lists every item first: rows ending in a page number are never bodies, and
 *   the body is the first heading of the item (after the previous kept item) followed by at least
 *   SUBSTANTIAL_SECTION_CHARS of text; failing that the last one ("Item 7A. Not applicable.");
 * - an item ends at the next heading of a later item, so repeats of its own heading (running page
 *   headers) or of an earlier item quoted inside it do not cut it short;
 * - page numbers, "Table of Contents" back-links and "Acme | 2024 Form 10-K | 12" footers are dropped.
 * Known limits: 10-Ks laid out as a cross-reference index (GE, Citigroup) have no item headings in
 * the body and yield nothing for those items; an item incorporated by reference yields its pointer
 * sentence; other running headers and footers stay in the text.
 */
import { renderText } from './html-text.js';

export { htmlToText } from './html-text.js';

/** The 10-K items kept in `filing_sections`: Business, Risk Factors, MD&A, Market Risk. */
export type SectionId = '1' | '1A' | '7' | '7A';

export interface FilingSection {
  section: SectionId;
  /** The heading's title as the filer wrote it ("Risk Factors"), or the form's own when the heading has none. */
  title: string;
  /** Clean text of the item without its heading: one paragraph, list item or table row a line. */
  content: string;
}

const SECTION_IDS: readonly SectionId[] = ['1', '1A', '7', '7A'];

const DEFAULT_TITLES: Record<SectionId, string> = {
  '1': 'Business',
  '1A': 'Risk Factors',
  '7': "Management's Discussion and Analysis of Financial Condition and Results of Operations",
  '7A': 'Quantitative and Qualitative Disclosures About Market Risk',
};

/** The form's title of each kept item, to split a heading from text that shares its line. */
const TITLE_PATTERNS: Record<SectionId, RegExp> = {
  '1': /^business\b\.?/i,
  '1A': /^risk\s+factors\b\.?/i,
  '7': /^management.?s\s+discussion\s+and\s+analysis(?:\s+of\s+financial\s+condition\s+and\s+results\s+of\s+operations)?(?:\s*\(["“]?md&a["”]?\))?\.?/i,
  '7A': /^quantitative\s+and\s+qualitative\s+disclosures?\s+about\s+market\s+risks?\.?/i,
};

/**
 * Text between a TOC row and the next row is a title and a page number; between a body heading and
 * the next item, pages. 250 characters sits between the two (a TOC row has under 150).
 */
const SUBSTANTIAL_SECTION_CHARS = 250;
/** Longer lines are paragraphs that merely start with "Item 7…", unless the item's title follows. */
const MAX_HEADING_LINE_CHARS = 200;

/** Clean text of Items 1, 1A, 7 and 7A of a 10-K primary document (HTML or iXBRL). Never throws; returns what it found. */
export function extractFilingSections(html: string): FilingSection[] {
  try {
    return typeof html === 'string' ? findSections(renderText(html).split('\n')) : [];
  } catch {
    return [];
  }
}

interface Heading {
  code: string;
  /** Position in the form: Item 1 < 1A < 1B < 2 < … < 7 < 7A < 8. */
  order: number;
  line: number;
  /** The title on the heading's own line (or the next one), without a TOC page number. */
  title: string;
  /** Text after the title on the heading's line (a heading run into its first paragraph). */
  lead: string;
  /** Index of the first line after the heading (and its title line). */
  bodyLine: number;
  /** Ends with a page number: a table-of-contents row. */
  tocLike: boolean;
}

/**
 * "Item 1A.", "ITEM 1A —", "Item 1A:", "PART II, ITEM 7.", "Items 1 and 2." at the start of a line.
 * The letter must not run into a word ("Item 1 Business" is Item 1).
 */
const HEADING = /^(?:part\s+(?:iv|i{1,3})\b[\s,.:;\-–—]*)?items?\s*(\d{1,2})(?!\d)(?:\s?([a-d])(?![a-z]))?(?![.,]\d)(?:\s*(?:,|and|&)\s*\d{1,2}[a-d]?)*\s*[.:\-–—]*\s*(.*)$/i;
const TOC_PAGE = /(?:^|\s)(?:\d{1,3}|[ivx]{1,6})(?:\s*[-–]\s*\d{1,3})?$/i;

function parseHeading(lines: readonly string[], index: number): Heading | null {
  const line = lines[index] ?? '';
  if (!/^(?:part|item)/i.test(line)) return null;
  const match = HEADING.exec(line);
  if (!match) return null;
  const number = Number(match[1]);
  if (number < 1 || number > 16) return null;
  const letter = (match[2] ?? '').toUpperCase();
  const code = `${number}${letter}`;
  const rest = (match[3] ?? '').trim();
  // "Item 7 of this report", "Item 1A, “Risk Factors,”": a reference inside a sentence.
  if (rest !== '' && !/^[A-Z0-9"“‘'([]/.test(rest)) return null;

  const pattern = isSectionId(code) ? TITLE_PATTERNS[code] : null;
  const words = rest.replace(/\s+/g, ' ');
  const titleMatch = pattern?.exec(words) ?? null;
  const short = line.length <= MAX_HEADING_LINE_CHARS;
  if (!short && !titleMatch) return null;

  const tocLike = short && rest !== '' && TOC_PAGE.test(rest);
  let title = words;
  let lead = '';
  let bodyLine = index + 1;
  if (tocLike) {
    title = words.replace(TOC_PAGE, '');
  } else if (titleMatch) {
    // "Item 7A. Quantitative … Market Risk. Not applicable.": the title, then the item's text.
    title = titleMatch[0];
    lead = words.slice(titleMatch[0].length).replace(/^[\s.:\-–—]+/, '');
  } else if (pattern && rest === '') {
    // The title in a block of its own under "Item 1A." — only when it is the item's title, so a
    // bare "Item 7A." followed by its first paragraph keeps that paragraph.
    const next = lines[index + 1] ?? '';
    if (next.length <= MAX_HEADING_LINE_CHARS && pattern.test(next)) {
      title = next.replace(/\s+/g, ' ');
      bodyLine = index + 2;
    }
  } else if (pattern && /[.!]$/.test(rest) && /[a-z]/.test(rest)) {
    // "Item 7A. Not applicable.": no title, only text.
    title = '';
    lead = words;
  }
  title = title.replace(/[\s.:\-–—]+$/, '').trim();
  return { code, order: number * 10 + (letter === '' ? 0 : letter.charCodeAt(0) - 64), line: index, title, lead, bodyLine, tocLike };
}

/**
 * Picks each kept item's heading among all item headings of the document:
 * - a 10-K lists every item in its table of contents first, so the body is the first heading of
 *   the item, after the previous kept item's, whose text up to the next later item is substantial;
 * - failing that (a smaller reporting company's one-line "Not applicable."), the last heading of
 *   the item that is not a TOC row;
 * - an item ends at the next heading of a later item (1A at 1B, 1C or 2; 7 at 7A or 8; 7A at 8),
 *   so a stray "Item 1A." quoted inside MD&A does not cut it short.
 */
function findSections(lines: readonly string[]): FilingSection[] {
  const headings: Heading[] = [];
  for (let i = 0; i < lines.length; i++) {
    const heading = parseHeading(lines, i);
    if (heading) headings.push(heading);
  }
  // offsets[i]: characters before line i, so any span's size is one subtraction.
  const offsets = [0];
  lines.forEach((line, i) => offsets.push((offsets[i] ?? 0) + line.length + 1));
  const ends = endsOfItems(headings, lines.length);

  const sections: FilingSection[] = [];
  let after = -1;
  for (const id of SECTION_IDS) {
    let chosen = -1;
    for (let position = 0; position < headings.length; position++) {
      const heading = headings[position];
      if (heading?.code !== id || heading.line <= after || heading.tocLike) continue;
      const end = ends[position] ?? lines.length;
      const size = heading.lead.length + (offsets[end] ?? 0) - (offsets[heading.bodyLine] ?? 0);
      chosen = position;
      if (size >= SUBSTANTIAL_SECTION_CHARS) break;
    }
    const heading = headings[chosen];
    if (!heading) continue;
    after = heading.line;
    const content = cleanContent([heading.lead, ...lines.slice(heading.bodyLine, ends[chosen] ?? lines.length)]);
    if (content !== '') sections.push({ section: id, title: heading.title || DEFAULT_TITLES[id], content });
  }
  return sections;
}

/** For each heading, the line of the next heading of a later item (a monotonic stack: linear time). */
function endsOfItems(headings: readonly Heading[], lineCount: number): number[] {
  const ends: number[] = new Array<number>(headings.length).fill(lineCount);
  const later: Heading[] = [];
  for (let i = headings.length - 1; i >= 0; i--) {
    const heading = headings[i];
    if (!heading) continue;
    while (later.length > 0 && (later[later.length - 1]?.order ?? Infinity) <= heading.order) later.pop();
    const next = later[later.length - 1];
    if (next) ends[i] = next.line;
    later.push(heading);
  }
  return ends;
}

/** Page furniture: "12", "- 12 -", "Table of Contents" back-links, "Acme Inc. | 2024 Form 10-K | 12" footers. */
const PAGE_FURNITURE = [/^(?:page\s+)?[-–—]?\s*\d{1,3}\s*[-–—]?$/i, /^(?:table\s+of\s+contents|index)$/i, /^.{0,60}\bform\s+10-k\s*\|\s*\d{1,3}$/i];

/** Drops page furniture and a trailing "PART II" heading from an item's lines. */
function cleanContent(body: readonly string[]): string {
  const kept = body.filter((line) => line !== '' && !PAGE_FURNITURE.some((pattern) => pattern.test(line)));
  while (kept.length > 0 && /^part\s+(?:iv|i{1,3})\b.{0,80}$/i.test(kept[kept.length - 1] ?? '')) kept.pop();
  return kept.join('\n').trim();
}

function isSectionId(code: string): code is SectionId {
  return (SECTION_IDS as readonly string[]).includes(code);
}
