// Exact token counts on the tokenizer thread against the same counts on the caller's thread
// (as before the thread): what a count costs the caller, and how long it holds the event loop.
// Two prompts, each counted from an empty memo (every message new): one 1.5 KB message of prose
// (what a growing history adds per request), and 60 KB of random CJK characters in 250-character runs (text
// made to be slow to tokenize; TokenCounterOptions.maxExactBytes caps a count at 128 KB).
//   npm run build && node bench/tokenizer-thread.mjs [--rounds=200]
// Per prompt and place: the median and p99 time to the count's answer, and the longest the
// event loop went without turning while counts ran (perf_hooks.monitorEventLoopDelay, max).
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { machine, percentile } from './lib.mjs';

const arg = (name, dflt) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? dflt;
const ROUNDS = Number(arg('rounds', 200));
if (!(ROUNDS > 0)) throw new Error('--rounds takes a positive number');

const { TokenCounter } = await import('../dist/llm/tokens/index.js');
const { loadEncoder } = await import('../dist/llm/tokens/encoding-counter.js');
const { sharedTokenizer } = await import('../dist/llm/tokens/tokenizer-thread.js');

/** The caller's thread: what TokenCounter did before the tokenizer thread. */
const inThread = {
  load: async (e) => void (await loadEncoder(e)),
  count: async (e, texts) => {
    const encoder = await loadEncoder(e);
    return texts.map((t) => encoder.count(t));
  },
};

// mulberry32: every text is new to gpt-tokenizer's merge cache.
let seed = 1;
function random() {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = Math.imul(seed ^ (seed >>> 15), seed | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const WORDS = 'the gateway counts every prompt before it forwards the request and keeps what it counted for the next turn of the conversation'.split(' ');
function prose(bytes) {
  let s = '';
  while (s.length < bytes) s += WORDS[Math.floor(random() * WORDS.length)] + (random() < 0.1 ? '. ' : ' ');
  return s;
}
function slow(bytes) {
  const runs = [];
  for (let size = 0; size < bytes; size += 751) {
    let run = '';
    for (let i = 0; i < 250; i++) run += String.fromCodePoint(0x4e00 + Math.floor(random() * 0x5000));
    runs.push(run);
  }
  return runs.join(' ');
}
const PROMPTS = [
  ['one new 1.5 KB message', () => prose(1500)],
  ['60 KB made to be slow', () => slow(60_000)],
];
const target = { model: 'gpt-4o' };

async function measure(tokenizer, make) {
  const times = [];
  const texts = Array.from({ length: ROUNDS }, make);
  // A fresh counter per count: nothing remembered, every message tokenized.
  for (let i = 0; i < 5; i++) await new TokenCounter({ tokenizer }).countChat({ messages: [{ role: 'user', content: texts[i] }] }, target);
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  for (const text of texts) {
    const counter = new TokenCounter({ tokenizer });
    const t0 = performance.now();
    await counter.countChat({ messages: [{ role: 'user', content: text }] }, target);
    times.push(performance.now() - t0);
    await new Promise((r) => setTimeout(r, 2)); // idle between counts, as between requests
  }
  delay.disable();
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p99: percentile(times, 99), stall: delay.max / 1e6 };
}

await inThread.load('o200k_base');
await sharedTokenizer().load('o200k_base');
console.log(`# tokenizer-thread: ${machine()}; ${ROUNDS} counts per cell, o200k_base\n`);
console.log('| prompt | counted on | answer p50 ms | answer p99 ms | longest event-loop stall ms |');
console.log('|---|---|--:|--:|--:|');
for (const [name, make] of PROMPTS) {
  for (const [place, tokenizer] of [['the caller\'s thread', inThread], ['the tokenizer thread', sharedTokenizer()]]) {
    const r = await measure(tokenizer, make);
    console.log(`| ${name} | ${place} | ${r.p50.toFixed(3)} | ${r.p99.toFixed(3)} | ${r.stall.toFixed(1)} |`);
  }
}
await sharedTokenizer().close();
