/**
 * Header parameters: style simple (explode only changes objects), no percent-encoding (OAS
 * 3.1.2: headers are never percent-encoded). A value with a control character (CR, LF, NUL,
 * TAB, DEL, ...) or a character outside printable ASCII is refused, never sent: control
 * characters split or smuggle headers (threat model B4), and undici rejects what is not
 * Latin-1 while servers disagree about the rest.
 */
import type { ParameterPlan } from '../plan.js';
import { contentText } from './content-value.js';
import { AGENT_FORBIDDEN_HEADERS, HTTP_TOKEN } from '../http-names.js';
import { ValueProblem } from './percent-encode.js';
import { expandSegmentStyle, noEncoding } from './style-serialize.js';
import { quoted } from './values.js';

/**
 * Headers an agent never sets: credentials, framing, routing, hop-by-hop (RFC 9110 7.6.1) and
 * content negotiation the HTTP client owns. The plan builder hides the same names
 * (schema/parameters.ts), so a plan should never hold them; this is the last check.
 */

export interface HeaderEntry {
  /** Lower case. */
  name: string;
  value: string;
}

export function headerEntry(param: ParameterPlan, value: unknown, reserved: ReadonlySet<string>): HeaderEntry {
  const name = param.name.toLowerCase();
  if (!HTTP_TOKEN.test(name)) throw new ValueProblem(`${quoted(param.name)} is not a valid header name`);
  if (AGENT_FORBIDDEN_HEADERS.has(name) || reserved.has(name)) {
    throw new ValueProblem(`would set the header ${quoted(param.name)}, which the gateway controls; refused`);
  }
  const text =
    param.contentType !== undefined
      ? contentText(value, param.contentType)
      : expandSegmentStyle('simple', param.explode, param.name, value, noEncoding);
  checkHeaderValue(text);
  return { name, value: text };
}

export function checkHeaderValue(text: string): void {
  if (/[\x00-\x1f\x7f]/.test(text)) {
    throw new ValueProblem('contains a control character (CR, LF, NUL, TAB or another); header values cannot carry them');
  }
  if (/[^\x20-\x7e]/.test(text)) {
    throw new ValueProblem('contains a character outside printable ASCII; header values must be ASCII');
  }
}
