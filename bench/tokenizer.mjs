// Prompt token counting for the LLM proxy: js-tiktoken (the project's baseline) against
// gpt-tokenizer, on both OpenAI encodings the proxy needs (o200k_base, cl100k_base), and the
// proxy's own memoized counter (dist/llm/tokens) on a history that grows by one message per
// request. Every input is built here from this repository's files (no network), and the two
// libraries must give the same count on every one of them: a mismatch is printed and fails the run.
// Run: npm run build && node bench/tokenizer.mjs   (about 3 minutes; QUICK=1 for a short smoke run)
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { machine, REPO } from './lib.mjs';

const QUICK = process.env.QUICK === '1';
const ENCODINGS = ['o200k_base', 'cl100k_base'];
/** gpt-tokenizer's merge cache as src/llm/tokens sets it (the library's default is 100,000). */
const MERGE_CACHE = 20_000;
/** Counting options for both libraries: special-token strings in prompts are plain text, as the API treats them. */
const AS_TEXT = { disallowedSpecial: new Set() };

// ---------------------------------------------------------------- inputs

function walk(dir, out = []) {
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) walk(p, out);
    else out.push(p);
  }
  return out;
}

/** The first `bytes` UTF-8 bytes of `text`, never splitting a character. */
function takeBytes(text, bytes) {
  const buf = Buffer.from(text, 'utf8');
  if (buf.length <= bytes) return text;
  let end = bytes;
  while (end > 0 && (buf[end] & 0xc0) === 0x80) end--;
  return buf.subarray(0, end).toString('utf8');
}

/** This repository's TypeScript sources (tests left out), each headed by its path, in path order. */
const CODE = walk(join(REPO, 'src'))
  .filter((p) => p.endsWith('.ts') && !p.endsWith('.test.ts'))
  .map((p) => `// ${relative(REPO, p)}\n${readFileSync(p, 'utf8')}`)
  .join('\n');

/** English prose: the paragraph lines of docs/*.md (no headings, tables, lists or code blocks). */
const PROSE = (() => {
  const paragraphs = [];
  for (const p of walk(join(REPO, 'docs')).filter((f) => f.endsWith('.md'))) {
    let fenced = false;
    for (const line of readFileSync(p, 'utf8').split('\n')) {
      if (line.startsWith('```')) fenced = !fenced;
      else if (!fenced && /^[A-Za-z]/.test(line)) paragraphs.push(line);
    }
  }
  return paragraphs.join(' ');
})();

const SHORT_CHAT = [
  { role: 'system', content: 'You are a concise assistant for the operations team.' },
  { role: 'user', content: 'Which of our services restarted overnight?' },
  { role: 'assistant', content: 'The billing worker restarted twice, at 02:14 and 03:40 UTC.' },
  { role: 'user', content: 'Why? Keep it short.' },
];

/** A history whose messages alternate a user's prose and an assistant's code, about 1.5 KB each, up to `bytes` of content. */
function history(bytes) {
  const messages = [{ role: 'system', content: takeBytes(PROSE, 600) }];
  let total = Buffer.byteLength(messages[0].content);
  let prose = 600;
  let code = 0;
  for (let i = 0; total < bytes; i++) {
    const user = i % 2 === 0;
    const source = user ? PROSE : CODE;
    const at = user ? prose : code;
    const size = user ? 900 + (i % 5) * 100 : 1800 + (i % 7) * 150;
    const content = takeBytes(source.slice(at), size);
    if (user) prose += content.length;
    else code += content.length;
    messages.push({ role: user ? 'user' : 'assistant', content });
    total += Buffer.byteLength(content);
  }
  return messages;
}

const HISTORY = history(64 * 1024);
const TEXT_INPUTS = [
  ['short chat (4 messages)', null],
  ['4 KB English prose', takeBytes(PROSE, 4 * 1024)],
  ['4 KB code', takeBytes(CODE, 4 * 1024)],
  ['87 KB code prompt', takeBytes(CODE, 87 * 1024)],
  [`64 KB history (${HISTORY.length} messages), full recount`, null],
];

// ---------------------------------------------------------------- libraries

async function libraries(encoding) {
  const { Tiktoken } = await import('js-tiktoken/lite');
  const ranks = (await import(`js-tiktoken/ranks/${encoding}`)).default;
  const tiktoken = new Tiktoken(ranks);
  const gpt = (await import(`gpt-tokenizer/encoding/${encoding}`)).default;
  return {
    'js-tiktoken': (text) => tiktoken.encode(text, [], []).length,
    'gpt-tokenizer': (text) => gpt.countTokens(text, AS_TEXT),
    setGptMergeCache: (size) => gpt.setMergeCacheSize(size),
  };
}

/** The chat rule both libraries are timed with: 3 per message, its role and content, 3 to prime the reply. */
function chatCount(count, messages) {
  let n = 3;
  for (const m of messages) n += 3 + count(m.role) + count(m.content);
  return n;
}

function counter(count, input) {
  return input.messages ? () => chatCount(count, input.messages) : () => count(input.text);
}

// ---------------------------------------------------------------- timing

/** Median microseconds per call: warm-up, then samples of enough calls to last about 2 ms each. */
function timePerCall(fn, { samples = QUICK ? 9 : 41, warmMs = QUICK ? 50 : 300 } = {}) {
  const warmEnd = performance.now() + warmMs;
  let calls = 0;
  do {
    fn();
    calls++;
  } while (performance.now() < warmEnd);
  const perCall = warmMs / calls;
  const batch = Math.max(1, Math.round(2 / perCall));
  const results = [];
  for (let s = 0; s < samples; s++) {
    const t0 = performance.now();
    for (let i = 0; i < batch; i++) fn();
    results.push(((performance.now() - t0) * 1000) / batch);
  }
  results.sort((a, b) => a - b);
  return results[results.length >> 1];
}

/** The same for a function that returns a promise (the proxy's counter is async until its encoding is loaded). */
async function timePerCallAsync(fn, { samples = QUICK ? 9 : 41, warmMs = QUICK ? 50 : 300 } = {}) {
  const warmEnd = performance.now() + warmMs;
  let calls = 0;
  do {
    await fn(calls);
    calls++;
  } while (performance.now() < warmEnd);
  const batch = Math.max(1, Math.round(2 / (warmMs / calls)));
  const results = [];
  for (let s = 0; s < samples; s++) {
    const t0 = performance.now();
    for (let i = 0; i < batch; i++) await fn(calls++);
    results.push(((performance.now() - t0) * 1000) / batch);
  }
  results.sort((a, b) => a - b);
  return results[results.length >> 1];
}

/** Wall time of one call, in us: for inputs too slow to repeat. */
function timeOnce(fn) {
  const t0 = performance.now();
  fn();
  return (performance.now() - t0) * 1000;
}

function us(x) {
  return x >= 1000 ? `${(x / 1000).toFixed(2)} ms` : `${x.toFixed(1)} us`;
}

// ---------------------------------------------------------------- load cost (fresh process each)

function loadCost(lib, encoding) {
  const spec = lib === 'js-tiktoken' ? `js-tiktoken/ranks/${encoding}` : `gpt-tokenizer/encoding/${encoding}`;
  const url = import.meta.resolve(spec);
  const liteUrl = import.meta.resolve('js-tiktoken/lite');
  const child = lib === 'js-tiktoken'
    ? `const h0 = process.memoryUsage().heapUsed; const t0 = performance.now();
       const { Tiktoken } = await import(${JSON.stringify(liteUrl)}); const r = (await import(${JSON.stringify(url)})).default;
       const t = new Tiktoken(r); t.encode('hello world', [], []);`
    : `const h0 = process.memoryUsage().heapUsed; const t0 = performance.now();
       const g = (await import(${JSON.stringify(url)})).default; g.countTokens('hello world');`;
  const out = execFileSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', `${child}
    const ms = performance.now() - t0; globalThis.gc();
    console.log(JSON.stringify({ ms, heapMb: (process.memoryUsage().heapUsed - h0) / 2 ** 20, rssMb: process.memoryUsage().rss / 2 ** 20 }));`], { encoding: 'utf8' });
  return JSON.parse(out.trim());
}

// ---------------------------------------------------------------- main

console.log(`# Prompt token counting: js-tiktoken vs gpt-tokenizer${QUICK ? ' (QUICK)' : ''}`);
console.log(`machine: ${machine()}`);
console.log(`inputs: code from ${CODE.length.toLocaleString()} chars of src/**/*.ts, prose from docs/*.md; history: ${HISTORY.length} messages, ${Buffer.byteLength(HISTORY.map((m) => m.content).join('')).toLocaleString()} bytes of content\n`);

let mismatches = 0;
const rows = [];
for (const encoding of ENCODINGS) {
  const libs = await libraries(encoding);
  for (const [name, text] of TEXT_INPUTS) {
    const input = text !== null ? { text } : { messages: name.startsWith('short') ? SHORT_CHAT : HISTORY };
    const a = counter(libs['js-tiktoken'], input)();
    const b = counter(libs['gpt-tokenizer'], input)();
    if (a !== b) {
      mismatches++;
      console.log(`MISMATCH ${encoding} ${name}: js-tiktoken ${a}, gpt-tokenizer ${b}`);
    }
    libs.setGptMergeCache(MERGE_CACHE);
    const gptWarm = timePerCall(counter(libs['gpt-tokenizer'], input));
    libs.setGptMergeCache(0);
    const gptCold = timePerCall(counter(libs['gpt-tokenizer'], input));
    libs.setGptMergeCache(MERGE_CACHE);
    const base = timePerCall(counter(libs['js-tiktoken'], input));
    rows.push({ encoding, name, tokens: a, base, gptWarm, gptCold });
    console.log(`${encoding} | ${name} | ${a} tokens | js-tiktoken ${us(base)} | gpt-tokenizer ${us(gptWarm)} (no merge cache ${us(gptCold)}) | ${(base / gptWarm).toFixed(1)}x / ${(base / gptCold).toFixed(1)}x`);
  }
}

// New text: the merge cache only helps with pieces seen before, and the timed loops above
// count the same text again and again. Here every 2 KB chunk is seen once.
const CHUNKS = [];
for (let at = 0; CHUNKS.length < 512; at += 2048) CHUNKS.push(CODE.slice(at, at + 2048));
const fresh = [];
for (const encoding of ENCODINGS) {
  const libs = await libraries(encoding);
  const per = {};
  for (const lib of ['js-tiktoken', 'gpt-tokenizer']) {
    libs.setGptMergeCache(0);
    libs.setGptMergeCache(MERGE_CACHE);
    const t0 = performance.now();
    let tokens = 0;
    for (const chunk of CHUNKS) tokens += libs[lib](chunk);
    per[lib] = { us: ((performance.now() - t0) * 1000) / CHUNKS.length, tokens };
  }
  if (per['js-tiktoken'].tokens !== per['gpt-tokenizer'].tokens) {
    mismatches++;
    console.log(`MISMATCH ${encoding} distinct chunks: ${per['js-tiktoken'].tokens} vs ${per['gpt-tokenizer'].tokens}`);
  }
  fresh.push({ encoding, ...per });
}

console.log('\n| encoding | input | tokens | js-tiktoken | gpt-tokenizer | ratio | gpt-tokenizer, no merge cache | ratio |');
console.log('|---|---|--:|--:|--:|--:|--:|--:|');
for (const r of rows) {
  console.log(`| ${r.encoding} | ${r.name} | ${r.tokens.toLocaleString()} | ${us(r.base)} | ${us(r.gptWarm)} | ${(r.base / r.gptWarm).toFixed(1)}x | ${us(r.gptCold)} | ${(r.base / r.gptCold).toFixed(1)}x |`);
}

for (const f of fresh) {
  console.log(`| ${f.encoding} | 1 MB of code in 512 distinct 2 KB chunks, each counted once (per chunk) | ${Math.round(f['js-tiktoken'].tokens / CHUNKS.length)} | ${us(f['js-tiktoken'].us)} | ${us(f['gpt-tokenizer'].us)} | ${(f['js-tiktoken'].us / f['gpt-tokenizer'].us).toFixed(1)}x | - | - |`);
}

console.log('\n| library | encoding | first use (import + build) ms | heap after MB | RSS after MB |');
console.log('|---|---|--:|--:|--:|');
for (const encoding of ENCODINGS) {
  for (const lib of ['js-tiktoken', 'gpt-tokenizer']) {
    const c = loadCost(lib, encoding);
    console.log(`| ${lib} | ${encoding} | ${c.ms.toFixed(0)} | ${c.heapMb.toFixed(1)} | ${c.rssMb.toFixed(0)} |`);
  }
}

// ---------------------------------------------------------------- the proxy's counter (dist/)

const { TokenCounter } = await import('../dist/llm/tokens/index.js');
const NEW_MESSAGE = takeBytes(PROSE.slice(20_000), 1500);
console.log('\n| encoding | 64 KB history, per request | time per count | tokens |');
console.log('|---|---|--:|--:|');
for (const encoding of ENCODINGS) {
  const target = { model: encoding === 'o200k_base' ? 'gpt-4o' : 'gpt-4' };
  const libs = await libraries(encoding);
  const reference = chatCount(libs['js-tiktoken'], HISTORY);
  const counter = new TokenCounter();
  const counted = await counter.countChat({ messages: HISTORY }, target);
  if (counted.tokens !== reference || !counted.exact) {
    mismatches++;
    console.log(`MISMATCH ${encoding} history: TokenCounter ${JSON.stringify(counted)}, js-tiktoken ${reference}`);
  }
  const grown = (i) => ({ messages: [...HISTORY, { role: 'user', content: `${i}: ${NEW_MESSAGE}` }] });
  const grownTokens = (await new TokenCounter().countChat(grown(0), target)).tokens;
  const series = [
    ['full recount, js-tiktoken (baseline)', reference, () => timePerCall(() => chatCount(libs['js-tiktoken'], HISTORY))],
    ['first sight, TokenCounter (every message new)', reference, () => timePerCallAsync(() => new TokenCounter().countChat({ messages: HISTORY }, target))],
    ['grown by one 1.5 KB message, TokenCounter (the rest cached)', grownTokens, () => timePerCallAsync((i) => counter.countChat(grown(i), target))],
    ['resent unchanged, TokenCounter (all cached)', reference, () => timePerCallAsync(() => counter.countChat({ messages: HISTORY }, target))],
    ['upperBound of the grown request (UTF-8 lengths, no tokenizer)', counter.upperBound(grown(0)).tokens, () => timePerCall(() => counter.upperBound(grown(0)))],
  ];
  for (const [name, tokens, run] of series) console.log(`| ${encoding} | ${name} | ${us(await run())} | ${tokens.toLocaleString()} |`);
}

console.log('\n| input made to be slow, o200k_base | time, one run |');
console.log('|---|--:|');
{
  const libs = await libraries('o200k_base');
  const counter = new TokenCounter();
  const piece = (n) => '中'.repeat(n);
  console.log(`| js-tiktoken, 2,000 CJK characters | ${us(timeOnce(() => libs['js-tiktoken'](piece(2000))))} |`);
  console.log(`| gpt-tokenizer, 2,000 CJK characters | ${us(timeOnce(() => libs['gpt-tokenizer'](piece(2000))))} |`);
  console.log(`| gpt-tokenizer, 16,000 CJK characters | ${us(timeOnce(() => libs['gpt-tokenizer'](piece(16_000))))} |`);
  const t0 = performance.now();
  const r = await counter.countChat({ messages: [{ role: 'user', content: piece(1_000_000) }] }, { model: 'gpt-4o' });
  console.log(`| TokenCounter, 1,000,000 CJK characters (bounded: ${r.tokens.toLocaleString()} tokens, exact ${r.exact}) | ${us((performance.now() - t0) * 1000)} |`);
  // Shorter pieces made to be slow: random CJK characters, 250 per piece, all different.
  let seed = 1;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  let slow = '';
  while (slow.length < 350_000) slow += `${Array.from({ length: 250 }, () => String.fromCharCode(0x4e00 + Math.floor(random() * 20_000))).join('')}，`;
  const t1 = performance.now();
  const s = await counter.countChat({ messages: [{ role: 'user', content: slow.slice(0, 40_000) }, { role: 'user', content: slow.slice(40_000) }] }, { model: 'gpt-4o' });
  console.log(`| TokenCounter, 1 MB of random CJK in 250-character pieces (first 120 KB tokenized, the rest by length: ${s.tokens.toLocaleString()} tokens, exact ${s.exact}) | ${us((performance.now() - t1) * 1000)} |`);
}

if (mismatches > 0) {
  console.log(`\n${mismatches} count mismatch(es) between the libraries`);
  process.exit(1);
}
console.log('\ncounts identical between js-tiktoken and gpt-tokenizer on every input');
