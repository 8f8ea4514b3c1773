import { Parser } from 'htmlparser2';

/*
 * A filing document as clean text: htmlparser2's streaming parser turns it into lines (one a block
 * element, table cells joined by tabs; script, style, `ix:header` and `display:none` dropped),
 * whitespace collapsed, entities decoded. Plain-text documents (old .txt filings) pass through.
 */

/**
 * Elements that start a new line. Cells (td, th) are separated by a tab instead, so a heading laid
 * out as a table row ("Item 1A." | "Risk Factors") stays on one line.
 */
const BLOCK_TAGS: ReadonlySet<string> = new Set([
  'address',
  'article',
  'aside',
  'blockquote',
  'body',
  'br',
  'caption',
  'center',
  'dd',
  'div',
  'dl',
  'dt',
  'fieldset',
  'figcaption',
  'figure',
  'footer',
  'form',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'header',
  'hr',
  'html',
  'li',
  'main',
  'nav',
  'ol',
  'p',
  'pre',
  'section',
  'table',
  'tbody',
  'tfoot',
  'thead',
  'tr',
  'ul',
]);
const CELL_TAGS: ReadonlySet<string> = new Set(['td', 'th']);
/** Never text: `ix:header` holds the iXBRL contexts, units and hidden facts. */
const SKIPPED_TAGS: ReadonlySet<string> = new Set(['script', 'style', 'title', 'noscript', 'template', 'ix:header']);
const HIDDEN_STYLE = /display\s*:\s*none/i;
/** Characters that render as nothing: zero-width spaces and joiners, soft hyphens. */
const INVISIBLE = /[\u00ad\u200b-\u200d\u2060]/g;
/** A document with none of these tags is plain text (the .txt primary documents of old filings). */
const HTML_MARKER = /<\s*(?:html|body|p|div|br|table|font|span|td)\b/i;

/** The document as clean text (block elements as line breaks, whitespace collapsed, no script/style/hidden iXBRL header). */
export function htmlToText(html: string): string {
  try {
    return typeof html === 'string' ? renderText(html) : '';
  } catch {
    return '';
  }
}

export function renderText(html: string): string {
  const lines: string[] = [];
  let line = '';
  // One entry per open element, true where it started a skipped (invisible) subtree. htmlparser2
  // closes every element it opens, implied closes included, so the stack stays balanced.
  const opened: boolean[] = [];
  let skipDepth = 0;
  let preDepth = HTML_MARKER.test(html) ? 0 : 1;

  // Lines are cleaned as they complete, so a 10 MB document never exists twice as text.
  const endLine = (): void => {
    const clean = line
      .replace(INVISIBLE, '')
      .replace(/ *\t[ \t]*/g, '\t')
      .replace(/ {2,}/g, ' ')
      .trim();
    if (clean !== '') lines.push(clean);
    line = '';
  };
  const breakAt = (name: string): void => {
    if (BLOCK_TAGS.has(name)) endLine();
    else if (CELL_TAGS.has(name)) line += '\t';
  };
  const parser = new Parser(
    {
      onopentag(name, attribs) {
        const hidden = SKIPPED_TAGS.has(name) || HIDDEN_STYLE.test(attribs.style ?? '') || 'hidden' in attribs;
        opened.push(hidden);
        if (hidden) skipDepth += 1;
        if (name === 'pre') preDepth += 1;
        if (skipDepth === 0) breakAt(name);
      },
      onclosetag(name) {
        if (opened.pop() === true) skipDepth -= 1;
        if (name === 'pre') preDepth -= 1;
        if (skipDepth === 0) breakAt(name);
      },
      ontext(text) {
        if (skipDepth > 0) return;
        if (preDepth === 0) {
          // In HTML a newline in the source is a space (as are &nbsp; and the other Unicode spaces).
          line += text.replace(/\s/g, ' ');
          return;
        }
        // <pre> and plain-text documents keep their lines.
        const pieces = text.replace(/\r\n?/g, '\n').split('\n');
        pieces.forEach((piece, i) => {
          if (i > 0) endLine();
          line += piece.replace(/\s/g, ' ');
        });
      },
    },
    // iXBRL is XHTML: `<div/>` must close, not swallow the rest of the page.
    { recognizeSelfClosing: true },
  );
  parser.end(html);
  endLine();
  return lines.join('\n');
}
