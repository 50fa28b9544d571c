// Does key verification time depend on how close a presented key is to a real one?
// In-process, against the real KeyRegistry: keys with a valid checksum (what an attacker
// must forge before any secret comparison happens) that (a) carry the real key id and the
// real secret with one character changed, (b) the real key id and another secret with one
// character changed, (c) an unknown key id. Welch's t-test between each pair; p > 0.01 means
// no detectable difference. (a) vs (b) is the one that matters: it asks whether being
// close to the secret changes the time.
// Run: npm run build && node bench/key-timing.mjs
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { KeyRegistry } from '../dist/keys/key-registry.js';
import { StateStore } from '../dist/state/state-store.js';
import { machine } from './lib.mjs';

const N = Number(process.env.N ?? 20000);
const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const withChecksum = (body) => {
  let n = crc32(body);
  let out = '';
  for (let i = 0; i < 6; i++) {
    out = ALPHABET[n % 62] + out;
    n = Math.floor(n / 62);
  }
  return body + out;
};
const randomSecret = () => Array.from({ length: 40 }, () => ALPHABET[Math.floor(Math.random() * 62)]).join('');

const dir = mkdtempSync(join(os.tmpdir(), 'warden-keytiming-'));
const store = StateStore.open(join(dir, 'state.db'));
const registry = new KeyRegistry(store);
const { key } = registry.create('agent-a', { now: Date.now() });
const id = key.slice(4, 16);
const secret = key.slice(16, 56);
// Every variant changes one random character of a fixed base string, so all inputs have the
// same shape and only their relation to the real key differs. (Comparing against fully random
// strings instead measures the CPU's branch predictor on the format check, which depends on
// the attacker's own input, not on the secret.)
// Decoys keep the real strings' character classes (digit / upper / lower) at every position,
// so even the format check's branches behave the same.
const sameClass = (str) =>
  Array.from(str, (ch) => {
    const pool = /[0-9]/.test(ch) ? ALPHABET.slice(0, 10) : /[A-Z]/.test(ch) ? ALPHABET.slice(10, 36) : ALPHABET.slice(36);
    return pool[Math.floor(Math.random() * pool.length)];
  }).join('');
const decoySecret = sameClass(secret);
const decoyId = sameClass(id);
const oneOff = (keyId, base) => () => {
  const i = Math.floor(Math.random() * 40);
  let c = base[i];
  while (c === base[i]) c = ALPHABET[Math.floor(Math.random() * 62)];
  return withChecksum(`wdn_${keyId}${base.slice(0, i)}${c}${base.slice(i + 1)}`);
};
const variants = {
  'real id, real secret with 1 char off': oneOff(id, secret),
  'real id, other secret with 1 char off': oneOff(id, decoySecret),
  'unknown id, other secret with 1 char off': oneOff(decoyId, decoySecret),
};

// Fresh flat strings: V8's rope/sliced string forms would otherwise put different
// flattening costs into the timed region depending on how a variant built its input.
const flat = (s) => Buffer.from(s, 'latin1').toString('latin1');

/** Times every variant's inputs in one shuffled sequence, so drift and GC hit all alike. */
function sampleShuffled(names, n) {
  const jobs = [];
  // Allocated round-robin, so no variant's inputs sit in a memory region of their own.
  for (let i = 0; i < n; i++) for (const name of names) jobs.push([name, flat(variants[name]())]);
  for (let i = jobs.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [jobs[i], jobs[j]] = [jobs[j], jobs[i]];
  }
  const out = Object.fromEntries(names.map((k) => [k, []]));
  for (const [name, input] of jobs) {
    const t0 = process.hrtime.bigint();
    registry.check(input, 0);
    out[name].push(Number(process.hrtime.bigint() - t0));
  }
  return out;
}
const stats = (xs) => {
  // Trim the top 1% (GC pauses, interrupts) before comparing means.
  const s = Array.from(xs).sort((a, b) => a - b).slice(0, Math.floor(xs.length * 0.99));
  const mean = s.reduce((a, b) => a + b, 0) / s.length;
  const variance = s.reduce((a, b) => a + (b - mean) ** 2, 0) / (s.length - 1);
  return { mean, variance, n: s.length, median: s[Math.floor(s.length / 2)] };
};
// Two-sided p-value of Welch's t with large df (normal approximation).
const pValue = (a, b) => {
  const t = (a.mean - b.mean) / Math.sqrt(a.variance / a.n + b.variance / b.n);
  const z = Math.abs(t);
  const erfc = (x) => {
    const t1 = 1 / (1 + 0.5 * x);
    return t1 * Math.exp(-x * x - 1.26551223 + t1 * (1.00002368 + t1 * (0.37409196 + t1 * (0.09678418 + t1 * (-0.18628806 + t1 * (0.27886807 + t1 * (-1.13520398 + t1 * (1.48851587 + t1 * (-0.82215223 + t1 * 0.17087277)))))))));
  };
  return { t, p: erfc(z / Math.SQRT2) };
};

const names = Object.keys(variants);
sampleShuffled(names, 5000); // warm-up
const rounds = 5;
const all = Object.fromEntries(names.map((k) => [k, []]));
for (let r = 0; r < rounds; r++) {
  const got = sampleShuffled(names, N);
  for (const k of names) all[k].push(...got[k]);
}
const st = Object.fromEntries(Object.entries(all).map(([k, v]) => [k, stats(v)]));

console.log(`# key-timing: ${machine()}; ${rounds} x ${N} checks per variant, shuffled`);
console.log('| variant | median ns | trimmed mean ns |');
console.log('|---|--:|--:|');
for (const [k, s] of Object.entries(st)) console.log(`| ${k} | ${s.median.toFixed(0)} | ${s.mean.toFixed(0)} |`);
console.log('\n| pair | Welch t | p |');
console.log('|---|--:|--:|');
for (let i = 0; i < names.length; i++)
  for (let j = i + 1; j < names.length; j++) {
    const { t, p } = pValue(st[names[i]], st[names[j]]);
    console.log(`| ${names[i]} vs ${names[j]} | ${t.toFixed(2)} | ${p.toFixed(3)} |`);
  }
store.close();
rmSync(dir, { recursive: true, force: true });
