import { normalizeNewlines } from './textFiles.ts';

/**
 * The body of a raw mail: everything after the first blank line (the end of the headers), or ''
 * if there is none. A whitespace-only line counts as blank.
 */
export function stripHeaders(mail: string): string {
  const s = normalizeNewlines(mail);
  const m = /\n[ \t]*\n/.exec(s);
  return m ? s.slice(m.index + m[0].length) : '';
}

/** A header field line: a name of printable ASCII without spaces or colons, a colon, a blank. */
const HEADER_LINE = /^([!-9;-~]+):[ \t]/;
/** Names that make a block a mail header block rather than prose with a colon. */
const MAIL_HEADER = /^(received|from|to|cc|subject|date|return-path|message-id|delivered-to|reply-to|sender|in-reply-to|references|x-[\w-]+)$/i;

/**
 * If `body` opens with a block of mail headers (a forwarded or bounced mail, a quoted reply
 * heading; possibly indented) ending at a blank line, the index just after that blank line;
 * else -1. Every line must be a header or a folded continuation, and one header must be a
 * common mail header, so `Note: ...` prose is left alone.
 */
export function leadingHeaderBlockEnd(body: string): number {
  const m = /\n[ \t]*\n/.exec(body);
  if (!m) return -1;
  const lines = body.slice(0, m.index).split('\n');
  let known = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const h = HEADER_LINE.exec(line.trimStart());
    if (h) {
      known ||= MAIL_HEADER.test(h[1]!);
      continue;
    }
    if (i > 0 && /^[ \t]+\S/.test(line)) continue;
    return -1;
  }
  return known ? m.index + m[0].length : -1;
}

/** Only bodies that look like HTML are stripped, so `<user@host>` in plain text survives. */
const LOOKS_HTML = /<(html|body|head|p|br|div|table|tr|td|font|span|a|b|i|img|center)\b[^>]*>/i;

const ENTITIES: Record<string, string> = { nbsp: ' ', amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", '#39': "'" };

/**
 * Crude HTML to text: drop comments, script and style blocks and every tag (block tags become
 * line breaks), decode the common entities. Enough to keep words and drop markup for a
 * classifier; not a parser.
 */
export function stripHtml(s: string): string {
  if (!LOOKS_HTML.test(s)) return s;
  return s
    .replace(/<!--[\s\S]*?-->/g, ' ')
    .replace(/<(script|style)\b[\s\S]*?<\/\1\s*>/gi, ' ')
    .replace(/<\/?(p|br|div|tr|li|h[1-6]|table)\b[^>]*>/gi, '\n')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&(#\d+|#x[0-9a-f]+|[a-z]+);/gi, (m, e: string) => {
      const k = e.toLowerCase();
      if (k in ENTITIES) return ENTITIES[k]!;
      if (k.startsWith('#x')) return safeChar(parseInt(k.slice(2), 16), m);
      if (k.startsWith('#')) return safeChar(parseInt(k.slice(1), 10), m);
      return m;
    });
}

function safeChar(code: number, fallback: string): string {
  return Number.isFinite(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : fallback;
}

/**
 * Lines of MIME scaffolding inside a body: part boundaries (`--=_NextPart...`, never the `-- `
 * signature line) and part headers (`Content-Type: ...`).
 */
const MIME_LINE = /^(--\S+|Content-[A-Za-z-]+:.*|MIME-Version:.*|[ \t]+(charset|boundary|name|filename)=.*)$/gim;

/**
 * The text of a mail for classification: headers stripped (and header blocks of forwarded or
 * quoted mails at the top of the body), MIME scaffolding lines dropped,
 * optionally HTML removed, runs of spaces and blank lines collapsed, trimmed.
 */
export function emailBody(mail: string, opts: { stripHtml?: boolean } = {}): string {
  let b = stripHeaders(mail);
  // Header blocks of mails forwarded or quoted at the top of the body are metadata too.
  for (let k = 0; k < 8; k++) {
    const rest = b.trimStart();
    const end = leadingHeaderBlockEnd(rest);
    if (end < 0) break;
    b = rest.slice(end);
  }
  b = b.replace(MIME_LINE, '');
  if (opts.stripHtml) b = stripHtml(b);
  return b
    .replace(/[ \t\u00a0]+/g, ' ')
    .replace(/ *\n */g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}
