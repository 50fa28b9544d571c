import { describe, expect, it } from 'vitest';
import { seededRandom } from '../llm/tokens/test-fixtures.js';
import { jsonDepthExceeds } from './json-guard.js';
import { scanJson } from './json-scan.js';

const scan = (text: string, max = 64) => scanJson(Buffer.from(text), max);
const problem = (text: string, max = 64) => scan(text, max).problem;

describe('scanJson: nesting', () => {
  it('refuses nesting deeper than the limit, without recursion', () => {
    expect(problem('['.repeat(10_000))).toBe('too-deep');
    expect(problem('[[[]]]', 3)).toBeNull();
    expect(problem('[[[[]]]]', 3)).toBe('too-deep');
    expect(problem('{"a":{"b":{"c":1}}}', 3)).toBeNull();
    expect(problem('{"a":{"b":{"c":{}}}}', 3)).toBe('too-deep');
  });

  it('ignores brackets inside strings, however their quotes and backslashes are escaped', () => {
    expect(problem(`{"a":"${'['.repeat(1000)}"}`)).toBeNull();
    expect(problem('{"a":"\\"[[["}', 2)).toBeNull();
    expect(problem('{"a":"\\\\","b":[[[]]]}', 3)).toBe('too-deep');
    expect(problem('{"a":"\\\\\\"[[[[","b":1}', 2)).toBeNull();
  });

  it('counts brackets exactly as jsonDepthExceeds does on text, malformed or not', () => {
    const next = seededRandom(7);
    const alphabet = ['[', ']', '{', '}', '"', '\\', 'a', ':', ',', ' ', 'é', '€'];
    for (let n = 0; n < 3000; n++) {
      let text = '';
      const len = 1 + Math.floor(next() * 40);
      for (let i = 0; i < len; i++) text += alphabet[Math.floor(next() * alphabet.length)];
      const max = Math.floor(next() * 5);
      expect(problem(text, max) === 'too-deep', text).toBe(jsonDepthExceeds(text, max));
    }
  });

  it('reports a too-deep text as such even when it also repeats a key', () => {
    expect(problem(`{"a":1,"a":2,"b":${'['.repeat(100)}}`)).toBe('too-deep');
  });
});

describe('scanJson: repeated keys', () => {
  it('finds a repeated key in any object, at any depth', () => {
    expect(problem('{"name":"read_file","name":"delete_repo"}')).toBe('duplicate-key');
    expect(problem('{"a":{"x":1,"x":2}}')).toBe('duplicate-key');
    expect(problem('{"a":[{"x":1},{"y":[{"z":1,"z" : 2}]}]}')).toBe('duplicate-key');
  });

  it('compares keys as decoded, whether escaped, ASCII or not', () => {
    expect(problem('{"model":"a","\\u006dodel":"b"}')).toBe('duplicate-key');
    expect(problem('{"\\u006dodel":"a","model":"b"}')).toBe('duplicate-key');
    expect(problem('{"é":1,"\\u00e9":2}')).toBe('duplicate-key');
    expect(problem('{"😀":1,"\\ud83d\\ude00":2}')).toBe('duplicate-key');
    expect(problem('{"a\\"b":1,"a\\u0022b":2}')).toBe('duplicate-key');
    expect(problem('{"é":1,"e":2,"\\u00c3\\u00a9":3}')).toBeNull();
  });

  it('does not mistake repeated values, array items or key-like string contents for keys', () => {
    expect(problem('{"a":"x","b":"\\"a\\":"}')).toBeNull();
    expect(problem('[{"a":1},{"a":2}]')).toBeNull();
    expect(problem('{"a":["a","a"]}')).toBeNull();
    expect(problem('{"a":{"b":1},"b":{"a":1}}')).toBeNull();
  });

  it('leaves a malformed key to JSON.parse instead of reporting it', () => {
    expect(problem('{"\\x":1,"\\x":2}')).toBeNull();
  });
});

describe('scanJson: the top-level members', () => {
  it('gives each member its decoded key and bytes, from the quote of the key to the end of the value', () => {
    const text = '\ufeff {"a" : 1 ,\n "b\\u0062":[{"x":"}"}] ,"c":{"d":"é"}\t}\r\n';
    const buf = Buffer.from(text);
    const spans = scanJson(buf, 64).spans!;
    expect(spans.members.map((m) => [m.key, buf.toString('utf8', m.start, m.end)])).toEqual([
      ['a', '"a" : 1'],
      ['bb', '"b\\u0062":[{"x":"}"}]'],
      ['c', '"c":{"d":"é"}'],
    ]);
    expect(scan('{}').spans).toEqual({ members: [] });
  });

  it('gives no members for arrays, scalars and texts with a problem', () => {
    expect(scan('[{"a":1}]').spans).toBeNull();
    expect(scan('"{\\"a\\":1}"').spans).toBeNull();
    expect(scan('12').spans).toBeNull();
    expect(scan('{"a":1,"a":2}').spans).toBeNull();
    expect(scan('{"a":[[1]]}', 2).spans).toBeNull();
  });

  it('finds members whose bytes parse back to the values JSON.parse reads, for many shapes', () => {
    const next = seededRandom(11);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!;
    const space = () => pick(['', ' ', '\n', '\t', ' \r\n  ']);
    const values = ['1', '-2.5e3', 'true', 'null', '"x\\"}]"', '"é€😀"', '[]', '{}', '[1,{"a":[2]}]', '{"k":{"k":"\\\\"}}'];
    for (let n = 0; n < 500; n++) {
      const count = Math.floor(next() * 5);
      const parts: string[] = [];
      for (let i = 0; i < count; i++) parts.push(`${space()}"k${i}${pick(['', 'é', '\\n', '\\u0041'])}"${space()}:${space()}${pick(values)}${space()}`);
      const text = `${space()}{${parts.join(',')}${space()}}${space()}`;
      const buf = Buffer.from(text);
      const parsed = JSON.parse(text) as Record<string, unknown>;
      const spans = scanJson(buf, 64).spans!;
      expect(spans.members.map((m) => m.key)).toEqual(Object.keys(parsed));
      for (const m of spans.members) {
        expect(JSON.parse(`{${buf.toString('utf8', m.start, m.end)}}`), text).toEqual({ [m.key]: parsed[m.key] });
      }
    }
  });
});
