import { foldLookalikeWords } from './lookalikes.js';
import { excerpt, makeVisible } from './visible-text.js';

/**
 * Looks for hidden instructions in an upstream's tool definition (tool poisoning): the text
 * a model reads (description, title, every string and property name in the schemas, enum
 * values, defaults, `_meta`) but a human reviewing a tool list may never notice.
 *
 * A finding does not block a tool by itself; it makes the tool ineligible for automatic
 * approval, so a human sees the full raw definition first. The phrase rules are heuristics
 * tuned for few false positives on ordinary descriptions: they look for instructions aimed
 * at the model (ignore your instructions, call this other tool first, read this file and
 * pass it along, send it there), not for topics (a tool may well be about files or keys).
 */

export type FindingRule =
  | 'invisible-unicode'
  | 'bidi-control'
  | 'control-character'
  | 'ignore-instructions'
  | 'conceal-from-user'
  | 'cross-tool-instruction'
  | 'file-or-secret-read'
  | 'data-exfiltration'
  | 'instruction-tag'
  | 'encoded-blob';

export interface Finding {
  rule: FindingRule;
  /** JSON Pointer of the string (or, with `key`, of the member whose name matched). */
  path: string;
  /** The text around the match, hidden characters shown as `\u{XXXX}`. */
  excerpt: string;
  key?: true;
}

const MAX_FINDINGS = 100;
const EXCERPT_CHARS = 120;

const BIDI = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/u;
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/u;
// Format characters and other blank-rendering code points; bidi ones have their own rule.
const INVISIBLE = /[\p{Cf}\u034f\u115f\u1160\u2800\u3164\uffa0\u{e0100}-\u{e01ef}]/u;
const PLAIN_ASCII = /^[\t\n\r\x20-\x7e]*$/;
const TAG_RUN = /[\u{e0000}-\u{e007f}]+/gu;
const PICTOGRAPH = /[\p{Extended_Pictographic}\u{1f3fb}-\u{1f3ff}\ufe0f]/u;
const STRIP_FOR_PHRASES = /[\p{Cf}\u034f\u115f\u1160\u3164\uffa0\u{e0100}-\u{e01ef}]/gu;

interface PhraseRule {
  rule: FindingRule;
  re: RegExp;
}

// Written against normalized text: NFKC, hidden characters removed, whitespace collapsed.
const PHRASES: readonly PhraseRule[] = [
  {
    rule: 'ignore-instructions',
    re: /\b(?:ignore|disregard|forget|override|bypass)\s+(?:(?:all|any|the|your|of|these|those)\s+){0,3}(?:previous|prior|above|earlier|preceding|former|original|system|other|safety|existing)\s+(?:\w+\s+)?(?:instructions?|prompts?|rules|directions|directives|guidelines|messages|constraints)\b/i,
  },
  { rule: 'ignore-instructions', re: /\b(?:new|updated|real|actual|secret|hidden|true)\s+(?:system\s+)?instructions\s*:/i },
  { rule: 'ignore-instructions', re: /\byou\s+are\s+now\s+(?:in\s+)?(?:developer|admin|god|jailbreak|unrestricted|dan)\b/i },
  {
    rule: 'conceal-from-user',
    re: /\b(?:do\s+not|don'?t|never|without)\s+(?:tell(?:ing)?|inform(?:ing)?|mention(?:ing)?|reveal(?:ing)?|notify(?:ing)?|alert(?:ing)?|show(?:ing)?)\s+(?:this\s+(?:to\s+)?|it\s+(?:to\s+)?|anything\s+(?:to\s+)?)?(?:the\s+)?user\b/i,
  },
  { rule: 'conceal-from-user', re: /\b(?:the\s+)?user\s+(?:must|should)\s+(?:not|never)\s+(?:know|see|be\s+told|find\s+out|notice)\b/i },
  { rule: 'cross-tool-instruction', re: /\bbefore\s+(?:using|calling|invoking|running|executing)\s+(?:this|any|that|other|another)\b/i },
  { rule: 'cross-tool-instruction', re: /\b(?:instead\s+of|rather\s+than)\s+(?:using|calling|invoking|running)\b/i },
  { rule: 'cross-tool-instruction', re: /\bwhen\s+this\s+tool\s+is\s+(?:available|present|loaded|installed|enabled|connected)\b/i },
  {
    rule: 'cross-tool-instruction',
    re: /\b(?:when(?:ever)?|if)\s+(?:the\s+user|you|the\s+assistant|the\s+agent|the\s+model)\s+(?:calls?|uses?|invokes?|runs?)\s+(?:any|another|other|a\s+different)\b[^.]{0,40}\btools?\b/i,
  },
  { rule: 'cross-tool-instruction', re: /\b(?:call|invoke|use|run|execute)\s+(?:the\s+)?[`'"]?[\w./-]+[`'"]?\s+tool\s+(?:first|before|beforehand|instead)\b/i },
  { rule: 'cross-tool-instruction', re: /\b(?!(?:this|the|a|an|that|each|any)\s)[`'"]?[\w./-]+[`'"]?\s+tool\s+(?:must|shall)\s+(?:always\s+|now\s+|also\s+)?(?:send|use|include|add|call|be|forward|cc|bcc)\b/i },
  {
    rule: 'file-or-secret-read',
    re: /(?:~|\$home|\$\{home\}|%userprofile%)[/\\]\.?(?:ssh|aws|gnupg|kube|docker|azure|netrc|npmrc|pgpass|git-credentials|config[/\\]gcloud|cursor|claude|codeium)\b/i,
  },
  { rule: 'file-or-secret-read', re: /\bid_(?:rsa|dsa|ecdsa|ed25519)\b|\/etc\/(?:passwd|shadow|sudoers)\b|\.aws[/\\]credentials\b|\.git-credentials\b|\b(?:mcp|claude_desktop_config)\.json\b/i },
  { rule: 'file-or-secret-read', re: /(?:^|[\s'"`(/\\])\.env(?:\.[\w-]+)?(?=$|[\s'"`),;:/\\]|\.(?:\s|$))/i },
  {
    rule: 'file-or-secret-read',
    re: /\b(?:read|cat|dump|extract|exfiltrate|collect|harvest|steal)\s+(?:(?:the|your|all|any|their|user'?s?)\s+){0,3}(?:contents?\s+of\s+(?:the\s+)?)?(?:ssh\s+keys?|private\s+keys?|api\s+keys?|credentials|secrets|passwords|access\s+tokens|session\s+cookies|environment\s+variables)\b/i,
  },
  {
    rule: 'file-or-secret-read',
    re: /\b(?:read|cat|open|load)\b[^.]{0,80}\band\s+(?:then\s+)?(?:pass|include|send|put|provide|add|append|insert|embed|attach)\b[^.]{0,60}\b(?:as|in|into|inside|to|within)\b/i,
  },
  { rule: 'file-or-secret-read', re: /\bread\s+the\s+(?:file|contents\s+of\s+(?:the\s+)?file)\b[^.]{0,60}\b(?:before|first|then)\b/i },
  {
    rule: 'data-exfiltration',
    re: /\b(?:send|post|upload|forward|transmit|submit|exfiltrate|beacon|leak|report|copy|bcc|cc)\b[^\n]{0,80}?\b(?:to|at|into)\s+[<`'"(]?(?:https?|wss?|ftp):\/\//i,
  },
  { rule: 'data-exfiltration', re: /\b(?:send|forward|bcc|cc|copy|redirect)\b[^\n]{0,60}?\bto\s+[<`'"]?[\w.+-]+@[\w-]+\.[\w.-]+/i },
  {
    rule: 'data-exfiltration',
    re: /\b(?:include|pass|put|add|append|embed|attach|send|leak|share|repeat|output)\s+(?:(?:the|your|its|all|full|entire|complete|whole|any|of)\s+){0,3}(?:conversation(?:\s+history)?|chat\s+history|message\s+history|previous\s+messages|system\s+prompt|(?:your|all)\s+instructions|full\s+context)\b/i,
  },
  { rule: 'data-exfiltration', re: /\binclude\s+(?:the|its|their)\s+(?:full\s+|entire\s+|complete\s+|whole\s+)?contents?\s+(?:in|as|into|with|inside)\b/i },
  {
    rule: 'instruction-tag',
    re: /<\s*\/?\s*(?:important|system|instructions?|secret|hidden|admin|override|critical|urgent|prompt|assistant|human|system[_-]?prompt)\b[^<>]{0,40}>/i,
  },
  { rule: 'instruction-tag', re: /\[\s*(?:system|important|instructions?|admin|override)\s*\]|\{\{\s*system\b/i },
];

// Long runs of the base64 alphabets (standard and URL-safe) that mix cases and digits.
const BLOB = /[A-Za-z0-9+/_-]{80,}={0,2}/g;

/** Every finding in one tool definition, at most one per rule and string. */
export function scanDefinition(definition: unknown): Finding[] {
  const findings: Finding[] = [];
  const seen = new Set<string>();
  const add = (f: Finding): void => {
    const id = `${f.rule}\u0000${f.path}\u0000${f.key ? 'k' : 'v'}`;
    if (seen.has(id) || findings.length >= MAX_FINDINGS) return;
    seen.add(id);
    findings.push(f);
  };
  const stack: Array<[unknown, string]> = [[definition, '']];
  while (stack.length > 0 && findings.length < MAX_FINDINGS) {
    const [value, path] = stack.pop()!;
    if (typeof value === 'string') {
      for (const f of scanText(value)) add({ ...f, path });
    } else if (typeof value === 'object' && value !== null) {
      const entries = Object.entries(value);
      // Reverse, so the stack yields members in document order and findings read top-down.
      for (let i = entries.length - 1; i >= 0; i--) {
        const [k, v] = entries[i]!;
        const child = `${path}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`;
        if (!Array.isArray(value)) for (const f of scanText(k)) add({ ...f, path: child, key: true });
        stack.push([v, child]);
      }
    }
  }
  return findings;
}

/** The findings in one string (without a path). */
export function scanText(text: string): Array<Omit<Finding, 'path'>> {
  const out: Array<Omit<Finding, 'path'>> = [];
  if (PLAIN_ASCII.test(text)) {
    // Most schema strings: nothing can hide in them, and NFKC would not change them.
    matchPhrases(text.replace(/\s+/g, ' '), '', out);
    // And with underscores read as spaces: `ignore_previous_instructions` in an operationId
    // or a property name (tool names like fetch_credentials keep theirs above).
    if (text.includes('_')) matchPhrases(text.replace(/[\s_]+/g, ' '), '', out);
  } else {
    const bidi = BIDI.exec(text);
    if (bidi) out.push({ rule: 'bidi-control', excerpt: excerpt(text, bidi.index, 1, EXCERPT_CHARS) });
    const control = CONTROL.exec(text);
    if (control) out.push({ rule: 'control-character', excerpt: excerpt(text, control.index, 1, EXCERPT_CHARS) });
    const invisible = INVISIBLE.test(text) ? findInvisible(text) : null;
    if (invisible !== null) out.push({ rule: 'invisible-unicode', excerpt: invisible });
    const normalized = normalizeForPhrases(text);
    matchPhrases(normalized, '', out);
    if (normalized.includes('_')) matchPhrases(normalized.replace(/_+/g, ' '), '', out);
    // Unicode tag characters mirror ASCII invisibly ("ASCII smuggling"): read what they say.
    const smuggled = [...text.matchAll(TAG_RUN)].map((m) => decodeTags(m[0])).join(' ');
    if (smuggled.trim()) matchPhrases(normalizeForPhrases(smuggled), '[in tag characters] ', out);
  }

  for (const m of text.matchAll(BLOB)) {
    const run = m[0];
    if (/[A-Z]/.test(run) && /[a-z]/.test(run) && /[0-9]/.test(run)) {
      out.push({ rule: 'encoded-blob', excerpt: excerpt(text, m.index, run.length, 100) });
      break;
    }
  }
  return out;
}

function matchPhrases(text: string, label: string, out: Array<Omit<Finding, 'path'>>): void {
  const done = new Set<FindingRule>();
  for (const { rule, re } of PHRASES) {
    if (done.has(rule)) continue;
    const m = re.exec(text);
    if (!m) continue;
    done.add(rule);
    if (out.some((f) => f.rule === rule)) continue;
    out.push({ rule, excerpt: label + excerpt(text, m.index, m[0].length, EXCERPT_CHARS) });
  }
}

// Lookalike letters folded too: `Ignоre all previоus instructiоns` with Cyrillic о reads as English.
function normalizeForPhrases(text: string): string {
  return foldLookalikeWords(text.normalize('NFKC').replace(STRIP_FOR_PHRASES, '').replace(/\s+/g, ' '));
}

/**
 * The first invisible character that is not part of ordinary emoji (a zero-width joiner
 * between pictographs, as in family emoji), with the count and any tag-encoded text.
 */
function findInvisible(text: string): string | null {
  const chars = Array.from(text);
  let first = -1;
  let count = 0;
  let offset = 0;
  let firstOffset = 0;
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i]!;
    if (INVISIBLE.test(ch) && !BIDI.test(ch) && !(ch === '\u200d' && PICTOGRAPH.test(chars[i - 1] ?? '') && PICTOGRAPH.test(chars[i + 1] ?? ''))) {
      count++;
      if (first < 0) {
        first = i;
        firstOffset = offset;
      }
    }
    offset += ch.length;
  }
  if (first < 0) return null;
  const hidden = [...text.matchAll(TAG_RUN)].map((m) => decodeTags(m[0])).join(' ').trim();
  const where = excerpt(text, firstOffset, 1, EXCERPT_CHARS);
  return `${count} invisible character${count === 1 ? '' : 's'}: ${where}${hidden ? ` | tag characters spell: ${makeVisible(hidden.slice(0, 200))}` : ''}`;
}

/** U+E0020..U+E007E mirror ASCII 0x20..0x7E. */
function decodeTags(run: string): string {
  let out = '';
  for (const ch of run) {
    const cp = ch.codePointAt(0)! - 0xe0000;
    if (cp >= 0x20 && cp <= 0x7e) out += String.fromCharCode(cp);
  }
  return out;
}
