import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, it, expect } from 'vitest';
import { extractFilingSections, htmlToText, type FilingSection, type SectionId } from '../../src/extract/filing-sections.js';

/** A 10-K primary document from test/fixtures/sec/10k (`.gz` files are gunzipped). */
function loadDocument(file: string): string {
  const bytes = readFileSync(new URL(`../fixtures/sec/10k/${file}`, import.meta.url));
  return (file.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8');
}

function sectionOf(sections: FilingSection[], id: SectionId): FilingSection {
  const section = sections.find((candidate) => candidate.section === id);
  if (!section) throw new Error(`Item ${id} not found; found ${sections.map((s) => s.section).join(', ')}`);
  return section;
}

/** A line that is an item heading ("Item 8.", "ITEM 1B —"), as opposed to "Item 8 of this report…". */
const HEADING_LINE = /^(?:part\s+[iv]+\W+)?item\s*\d{1,2}[a-c]?\s*(?:[.:—–-]|$)/im;
const TAG = /<\/?[a-z][a-z0-9:-]*(?:\s[^>]*)?\/?>/i;
const ENTITY = /&(?:[a-z][a-z0-9]*|#\d+|#x[0-9a-f]+);/i;

interface ExpectedSection {
  title: string;
  /** The first words of the item in the document (its first subheading or paragraph). */
  starts: string;
  ends: string;
  /** The next item's title, which must not leak into this one. */
  notContaining: string;
  minChars: number;
  maxChars: number;
}

interface DocumentCase {
  file: string;
  sections: Record<SectionId, ExpectedSection>;
  /** Text of the hidden iXBRL header, `<head>`, `<script>` or `<style>`: never in the text. */
  hidden: string[];
  /** Text that is visible (some of it inside inline iXBRL tags): always in the text. */
  visible: string[];
}

// Both documents are hand-made (see test/fixtures/PROVENANCE.md): no real 10-K small enough to
// store was found. A real one (gzipped) drops in as one more row.
const DOCUMENTS: DocumentCase[] = [
  {
    file: 'handmade-ixbrl-10k.htm',
    sections: {
      '1': {
        title: 'Business',
        starts: 'Company Background\nHarbor Ridge Instruments, Inc. (the “Company”) designs, manufactures and sells precision flow',
        ends: 'as soon as reasonably practicable after they are filed with the SEC.',
        notContaining: 'Risk Factors',
        minChars: 1_800,
        maxChars: 2_300,
      },
      '1A': {
        title: 'Risk Factors',
        starts: 'The Company’s business, reputation, results of operations, financial condition and stock price can be affected',
        ends: 'results that do not meet analysts’ expectations.',
        notContaining: 'Unresolved Staff Comments',
        minChars: 1_800,
        maxChars: 2_300,
      },
      '7': {
        title: 'Management’s Discussion and Analysis of Financial Condition and Results of Operations',
        starts: 'The following discussion should be read in conjunction with the consolidated financial statements',
        ends: 'sufficient to meet its requirements for at least the next 12 months.',
        notContaining: 'Quantitative and Qualitative',
        minChars: 1_000,
        maxChars: 1_400,
      },
      '7A': {
        title: 'Quantitative and Qualitative Disclosures About Market Risk',
        starts: 'Interest Rate Risk\nThe Company’s exposure to changes in interest rates',
        ends: 'reduced 2024 operating income by approximately $4.1 million.',
        notContaining: 'Financial Statements and Supplementary Data',
        minChars: 500,
        maxChars: 700,
      },
    },
    hidden: ['iso4217:USD', 'http://fasb.org/us-gaap/2024#OtherLiabilitiesNoncurrent', 'P7Y', 'MachineryAndEquipmentMember', 'hrii-20241231'],
    visible: ['Harbor Ridge Instruments, Inc.', '41,207,355 shares of common stock', 'Products\t$\t412.6\t6 %\t$\t389.2'],
  },
  {
    file: 'handmade-legacy-10k.htm',
    sections: {
      '1': {
        title: 'BUSINESS',
        starts: 'General\nPinecone Bakery Systems, Inc. (“Pinecone,” the “Company,” “we” or “us”) builds and services conveyor ovens',
        ends: 'We consider our relations with our employees to be good.',
        notContaining: 'RISK FACTORS',
        minChars: 700,
        maxChars: 1_000,
      },
      '1A': {
        title: 'RISK FACTORS',
        starts: 'An investment in our common stock involves a high degree of risk.',
        ends: 'You may not be able to sell your shares at the time or price you want.',
        notContaining: 'UNRESOLVED STAFF COMMENTS',
        minChars: 800,
        maxChars: 1_100,
      },
      '7': {
        title: 'MANAGEMENT’S DISCUSSION AND ANALYSIS OF FINANCIAL CONDITION AND RESULTS OF OPERATIONS',
        starts: 'Overview\nNet sales for fiscal 2009 decreased 18% to $21.3 million',
        ends: 'Item 8 of this report contains our audited financial statements, which should be read together with this discussion.',
        notContaining: 'QUANTITATIVE AND QUALITATIVE',
        minChars: 700,
        maxChars: 1_000,
      },
      // A smaller reporting company's one-line answer: the body's, not the TOC row's.
      '7A': {
        title: 'QUANTITATIVE AND QUALITATIVE DISCLOSURES ABOUT MARKET RISK',
        starts: 'Not required for smaller reporting companies.',
        ends: 'Not required for smaller reporting companies.',
        notContaining: 'FINANCIAL STATEMENTS AND SUPPLEMENTARY DATA',
        minChars: 45,
        maxChars: 45,
      },
    },
    hidden: ['form10k.htm', 'script text', 'margin-bottom'],
    visible: ['PINECONE BAKERY SYSTEMS, INC.', 'Net sales\t$ 21,312\t$ 26,049'],
  },
];

describe.each(DOCUMENTS)('extractFilingSections on $file', ({ file, sections: expected, hidden, visible }) => {
  const html = loadDocument(file);
  const sections = extractFilingSections(html);
  const text = htmlToText(html);

  it('finds Items 1, 1A, 7 and 7A, in that order, once each', () => {
    expect(sections.map((section) => section.section)).toEqual(['1', '1A', '7', '7A']);
  });

  it.each(Object.entries(expected))('Item %s starts with its body, not its table-of-contents row', (id, want) => {
    const section = sectionOf(sections, id as SectionId);
    expect(section.title).toBe(want.title);
    expect(section.content.startsWith(want.starts)).toBe(true);
    expect(section.content.endsWith(want.ends)).toBe(true);
  });

  it.each(Object.entries(expected))('Item %s stops before the next item and has a plausible length', (id, want) => {
    const { content } = sectionOf(sections, id as SectionId);
    expect(content).not.toMatch(HEADING_LINE);
    expect(content.toLowerCase()).not.toContain(want.notContaining.toLowerCase());
    expect(content.length).toBeGreaterThanOrEqual(want.minChars);
    expect(content.length).toBeLessThanOrEqual(want.maxChars);
  });

  it('leaves no tags, entities, non-breaking spaces, page numbers or "Table of Contents" links in the items', () => {
    for (const { content } of sections) {
      expect(content).not.toMatch(TAG);
      expect(content).not.toMatch(ENTITY);
      expect(content).not.toContain('\u00a0');
      expect(content).not.toMatch(/^(?:table of contents|-?\s*\d{1,3}\s*-?)$/im);
      expect(content).not.toMatch(/Form 10-K \| \d+$/m);
      expect(content).toBe(content.trim());
      expect(content).not.toContain('\n\n');
    }
  });

  it('renders the whole document as clean text without the hidden header', () => {
    expect(text).not.toMatch(TAG);
    expect(text).not.toMatch(ENTITY);
    for (const fragment of hidden) expect(text).not.toContain(fragment);
    for (const fragment of visible) expect(text).toContain(fragment);
  });
});

describe('extractFilingSections on hand-made snippets', () => {
  const filler = (topic: string): string => `<p>${`${topic} is described in this paragraph at some length. `.repeat(8)}</p>`;
  /** A 10-K skeleton: a TOC with page numbers, then bodies; `riskHeading` is the raw Item 1A heading. */
  const tenK = (riskHeading: string, extra = ''): string =>
    `<html><body><table>
      <tr><td>Item 1.</td><td>Business</td><td>3</td></tr>
      <tr><td>Item 1A.</td><td>Risk Factors</td><td>5</td></tr>
      <tr><td>Item 1B.</td><td>Unresolved Staff Comments</td><td>9</td></tr>
      <tr><td>Item 7.</td><td>Management&#8217;s Discussion and Analysis</td><td>12</td></tr>
      <tr><td>Item 8.</td><td>Financial Statements</td><td>20</td></tr></table>
      <p>Item 1. Business</p>${filler('Our business')}
      ${riskHeading}${filler('A risk')}${extra}
      <p>Item 1B. Unresolved Staff Comments</p><p>None.</p>
      <p>Item 7. Management&#8217;s Discussion and Analysis</p>${filler('Our revenue')}
      <p>Item 8. Financial Statements</p>${filler('The balance sheet')}</body></html>`;

  it.each([
    ['ITEM 1A — RISK FACTORS', '<p>ITEM 1A &mdash; RISK FACTORS</p>', 'RISK FACTORS'],
    ['ITEM 1A - RISK FACTORS', '<p>ITEM 1A - RISK FACTORS</p>', 'RISK FACTORS'],
    ['Item 1A: Risk Factors', '<p>Item 1A: Risk Factors</p>', 'Risk Factors'],
    ['ITEM&nbsp;1A.&nbsp;&nbsp;RISK FACTORS', '<p>ITEM&nbsp;1A.&nbsp;&nbsp;RISK FACTORS</p>', 'RISK FACTORS'],
    ['Item&#160;1A&#8212;Risk&#160;Factors', '<p>Item&#160;1A&#8212;Risk&#160;Factors</p>', 'Risk Factors'],
    ['Item 1A.Risk Factors (no space)', '<p>Item 1A.Risk Factors</p>', 'Risk Factors'],
    ['PART I, ITEM 1A. RISK FACTORS', '<p>PART I, ITEM 1A. RISK FACTORS</p>', 'RISK FACTORS'],
    ['split across <b>s', '<p><b>Item</b> <b>1A.</b>&nbsp;<b>Risk</b> <b>Factors</b></p>', 'Risk Factors'],
    ['split across Workiva spans', '<div><span>Item 1A.</span><span>&#160;&#160;&#160;&#160;</span><span>Risk Factors</span></div>', 'Risk Factors'],
    ['laid out as a table row', '<table><tr><td>Item 1A.</td><td>Risk Factors</td></tr></table>', 'Risk Factors'],
    ['title in the next block', '<p><b>ITEM 1A.</b></p><p><b>RISK FACTORS</b></p>', 'RISK FACTORS'],
    ['no title at all', '<p>ITEM 1A</p>', 'Risk Factors'],
  ])('reads the heading %s', (_name, heading, title) => {
    const risk = sectionOf(extractFilingSections(tenK(heading)), '1A');
    expect(risk.title).toBe(title);
    expect(risk.content.startsWith('A risk is described in this paragraph')).toBe(true);
    expect(risk.content).not.toContain('Unresolved');
  });

  it('splits a heading run into its first paragraph from that paragraph', () => {
    const heading = `<p><b>Item 1A. Risk Factors.</b> Investing in our stock is risky. ${'We may lose money. '.repeat(12)}</p>`;
    const risk = sectionOf(extractFilingSections(tenK(heading)), '1A');
    expect(risk.title).toBe('Risk Factors');
    expect(risk.content.startsWith('Investing in our stock is risky. We may lose money.')).toBe(true);
  });

  it('keeps the text of a one-line item ("Item 7A. Not applicable.")', () => {
    const html = tenK('<p>Item 1A. Risk Factors</p>').replace('<p>Item 8.', '<p>Item 7A. Not applicable.</p><p>Item 8.');
    expect(sectionOf(extractFilingSections(html), '7A')).toEqual({
      section: '7A',
      title: 'Quantitative and Qualitative Disclosures About Market Risk',
      content: 'Not applicable.',
    });
  });

  it('keeps the first paragraph under a bare "Item 7A." heading as text, not as the title', () => {
    const html = tenK('<p>Item 1A. Risk Factors</p>').replace('<p>Item 8.', '<p>Item 7A.</p><p>We hold no derivative instruments.</p><p>Item 8.');
    expect(sectionOf(extractFilingSections(html), '7A')).toEqual({
      section: '7A',
      title: 'Quantitative and Qualitative Disclosures About Market Risk',
      content: 'We hold no derivative instruments.',
    });
  });

  it('treats references inside sentences as text, not headings', () => {
    const extra = '<p>Item 7 of this report discusses liquidity.</p><p>Item 1B, “Unresolved Staff Comments,” is below.</p>';
    const risk = sectionOf(extractFilingSections(tenK('<p>Item 1A. Risk Factors</p>', extra)), '1A');
    expect(risk.content.endsWith('Item 7 of this report discusses liquidity.\nItem 1B, “Unresolved Staff Comments,” is below.')).toBe(true);
  });

  it('does not let an earlier item quoted as a heading inside MD&A cut MD&A short', () => {
    const html = tenK('<p>Item 1A. Risk Factors</p>').replace('<p>Item 8.', '<p>Item 1A. Risk Factors</p><p>See above.</p><p>Item 8.');
    const mdna = sectionOf(extractFilingSections(html), '7');
    expect(mdna.content.endsWith('Item 1A. Risk Factors\nSee above.')).toBe(true);
  });

  it('skips a table of contents that lists the subsections of an item with their pages', () => {
    // Longer than a short item's text: only the page numbers tell these rows from a body.
    const subsections = [
      'Overview',
      'Results of Operations',
      'Net Sales by Reportable Segment',
      'Gross Margin',
      'Research and Development Expense',
      'Selling, General and Administrative Expense',
      'Other Income and Expense',
      'Provision for Income Taxes',
      'Liquidity and Capital Resources',
      'Contractual Obligations',
      'Critical Accounting Estimates',
      'Recent Accounting Pronouncements',
    ]
      .map((title, i) => `<tr><td></td><td>${title}</td><td>${21 + i}</td></tr>`)
      .join('');
    const html = `<table><tr><td>Item 7.</td><td>Management’s Discussion and Analysis</td><td>21</td></tr>${subsections}
      <tr><td>Item 8.</td><td>Financial Statements</td><td>40</td></tr></table>
      <p>Item 7. Management’s Discussion and Analysis</p>${filler('Our revenue')}<p>Item 8. Financial Statements</p>`;
    const mdna = sectionOf(extractFilingSections(html), '7');
    expect(mdna.content.startsWith('Our revenue is described')).toBe(true);
    expect(mdna.content).not.toContain('Critical Accounting Estimates');
  });

  it('returns the other items when Item 7A is missing', () => {
    const sections = extractFilingSections(tenK('<p>Item 1A. Risk Factors</p>'));
    expect(sections.map((section) => section.section)).toEqual(['1', '1A', '7']);
    expect(sectionOf(sections, '7').content).not.toContain('balance sheet');
  });

  it('accepts straight and curly apostrophes and upper case in the MD&A title', () => {
    for (const heading of ["ITEM 7. MANAGEMENT'S DISCUSSION AND ANALYSIS", 'Item 7. Management’s Discussion and Analysis']) {
      const html = `<p>${heading}</p>${filler('Our revenue')}<p>Item 7A. Quantitative and Qualitative Disclosures About Market Risk</p>${filler('Rates')}<p>Item 8. Financial Statements</p>`;
      expect(extractFilingSections(html).map((section) => [section.section, section.title])).toEqual([
        ['7', heading.slice(8)],
        ['7A', 'Quantitative and Qualitative Disclosures About Market Risk'],
      ]);
    }
  });

  it('reads a plain-text primary document line by line', () => {
    const text = `ITEM 1.  BUSINESS\n\n${'We bake bread for the region.\n'.repeat(12)}\nITEM 1A.  RISK FACTORS\n\n${'Flour prices may rise.\n'.repeat(12)}\nITEM 2.  PROPERTIES\nA bakery.`;
    const sections = extractFilingSections(text);
    expect(sections.map((section) => section.section)).toEqual(['1', '1A']);
    expect(sectionOf(sections, '1A').content.split('\n')).toEqual(Array<string>(12).fill('Flour prices may rise.'));
  });

  it('ignores item headings that are hidden', () => {
    const html = `<div style="display: none">Item 1. Business${filler('Hidden')}</div><p>Item 1. Business</p>${filler('Shown')}<p>Item 2. Properties</p>`;
    expect(sectionOf(extractFilingSections(html), '1').content.startsWith('Shown is described')).toBe(true);
  });

  it('returns [] for a document with no items', () => {
    expect(extractFilingSections('<html><body><p>Quarterly letter to shareholders.</p><p>Item count: 4.</p></body></html>')).toEqual([]);
  });

  it('returns [] for an 8-K, whose items are numbered 2.02 and 7.01', () => {
    const eightK = `<p>Item 2.02 Results of Operations and Financial Condition</p>${filler('A press release')}<p>Item 7.01 Regulation FD Disclosure</p>${filler('Slides')}<p>Item 9.01 Financial Statements and Exhibits</p>`;
    expect(extractFilingSections(eightK)).toEqual([]);
  });

  it('returns [] for a table of contents without bodies', () => {
    expect(extractFilingSections('<table><tr><td>Item 1.</td><td>Business</td></tr><tr><td>Item 1A.</td><td>Risk Factors</td></tr><tr><td>Item 7.</td><td>MD&amp;A</td></tr></table>')).toEqual([]);
  });

  it.each([
    ['empty', ''],
    ['angle brackets', '<<<>>><</>'],
    ['an unterminated comment', '<p>Item 1. Business<!-- and then nothing'],
    ['unclosed nesting', '<div><font>'.repeat(5_000)],
    ['control and lone surrogate characters', '\u0000\u0001\ud800\uffff<p>\u0000Item 1A.\u0000</p>'],
    ['binary noise', Buffer.from(Array.from({ length: 20_000 }, (_, i) => (i * 7919) % 256)).toString('latin1')],
    ['not a string', 42 as unknown as string],
    ['undefined', undefined as unknown as string],
  ])('does not throw on %s', (_name, input) => {
    expect(Array.isArray(extractFilingSections(input))).toBe(true);
    expect(typeof htmlToText(input)).toBe('string');
  });

  it('stays linear on 50,000 repeated item headings', () => {
    const html = `${'<p>Item 1.</p><p>Item 7.</p>'.repeat(25_000)}<p>Item 8. Financial Statements</p>`;
    const started = performance.now();
    // Every heading is followed by another at once: all empty, nothing to return.
    expect(extractFilingSections(html)).toEqual([]);
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});

describe('htmlToText', () => {
  it('breaks lines at blocks, separates cells with a tab and decodes entities', () => {
    const html = '<div>A&amp;B&nbsp;&#8217;x&#146;<br/>second</div><table><tr><td>Net&nbsp;sales</td><td></td><td>$ 1,234</td></tr></table><p>tail&hellip;</p>';
    expect(htmlToText(html)).toBe('A&B ’x’\nsecond\nNet sales\t$ 1,234\ntail…');
  });

  it('collapses source whitespace but keeps <pre> lines', () => {
    expect(htmlToText('<p>one\n   two\t\tthree</p><pre>a  b\nc</pre>')).toBe('one two three\na b\nc');
  });

  it('drops script, style, title, ix:header and display:none, and keeps inline iXBRL facts', () => {
    const html =
      '<html><head><title>t</title><style>p{}</style></head><body><ix:header><ix:hidden>h1</ix:hidden></ix:header>' +
      '<div style="DISPLAY : none">h2</div><script>h3</script><p>Revenue was $<ix:nonFraction name="us-gaap:Revenues">5</ix:nonFraction>.</p></body></html>';
    expect(htmlToText(html)).toBe('Revenue was $5.');
  });

  it('turns 8 MB of iXBRL into text in well under the time of a fetch', () => {
    const html = loadDocument('handmade-ixbrl-10k.htm');
    // The risk factors after the Item 1A heading, repeated to the size of a large real 10-K.
    const body = html.slice(html.lastIndexOf('<div', html.indexOf('Macroeconomic and Industry Risks')), html.indexOf('<div id="i4be1c0d7a9f2_19"'));
    const big = html.replace(body, body.repeat(Math.ceil(8e6 / body.length)));
    const started = performance.now();
    const risk = sectionOf(extractFilingSections(big), '1A');
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(risk.content.length).toBeGreaterThan(2_500_000);
  });
});
