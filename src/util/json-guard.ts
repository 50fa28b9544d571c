/**
 * True when brackets nest deeper than `max`, ignoring brackets inside double-quoted strings.
 * Linear and non-recursive: used before parsing untrusted JSON bodies and YAML files.
 */
export function jsonDepthExceeds(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++; // backslash: skip the escaped char
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) {
      if (++depth > max) return true;
    } else if (c === 125 || c === 93) depth--;
  }
  return false;
}

/**
 * True when some JSON object repeats a key. JSON.parse keeps the last one silently, so a
 * policy and an upstream could read different values from one body (a parser
 * differential); bodies with duplicate keys are refused instead. Linear, non-recursive;
 * malformed input is left for JSON.parse to report.
 */
export function jsonHasDuplicateKeys(text: string): boolean {
  const stack: Array<Set<string> | null> = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 123) stack.push(new Set());
    else if (c === 91) stack.push(null);
    else if (c === 125 || c === 93) stack.pop();
    else if (c === 34) {
      let j = i + 1;
      while (j < text.length) {
        const d = text.charCodeAt(j);
        if (d === 92) j += 2;
        else if (d === 34) break;
        else j++;
      }
      let k = j + 1;
      while (k < text.length && (text[k] === ' ' || text[k] === '\t' || text[k] === '\n' || text[k] === '\r')) k++;
      const top = stack[stack.length - 1];
      // In JSON a string followed by ':' is always an object key.
      if (text[k] === ':' && top) {
        let key: string;
        try {
          key = JSON.parse(text.slice(i, j + 1)) as string;
        } catch {
          return false;
        }
        if (top.has(key)) return true;
        top.add(key);
      }
      i = j;
    }
  }
  return false;
}
