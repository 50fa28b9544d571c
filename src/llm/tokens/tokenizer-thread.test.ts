import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { loadEncoder } from './encoding-counter.js';
import { seededRandom } from './test-fixtures.js';
import { TokenCounter } from './token-counter.js';
import { TokenizerThread } from './tokenizer-thread.js';

const dir = mkdtempSync(join(tmpdir(), 'warden-tokenizer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A stand-in thread that counts characters, and fails, exits or hangs on request. */
function fakeWorker(): URL {
  const file = join(dir, 'fake-tokenizer.mjs');
  writeFileSync(
    file,
    `import { parentPort } from 'node:worker_threads';
let loads = 0;
parentPort.on('message', ([id, encoding, texts]) => {
  if (texts === null) loads++;
  if (texts?.[0] === 'loads') return parentPort.postMessage([id, [loads], [0], null]);
  if (texts?.[0] === 'slow') return setTimeout(() => parentPort.postMessage([id, [4], [0], null]), 150);
  if (texts?.[0] === 'busy') {
    const end = Date.now() + 60;
    while (Date.now() < end);
    return parentPort.postMessage([id, [4], [0], null]);
  }
  if (texts?.[0] === 'exit') process.exit(3);
  if (texts?.[0] === 'hang') return;
  if (texts?.[0] === 'fail') return parentPort.postMessage([id, null, null, 'no such vocabulary']);
  parentPort.postMessage([id, (texts ?? []).map((t) => t.length), (texts ?? []).map(() => 0), null]);
});
`,
  );
  return pathToFileURL(file);
}

/** Letters in 250-character runs: each run is one piece, merged slowly (see LONG_PIECE_CHARS). */
function slowText(bytes: number): string {
  const random = seededRandom(7);
  const runs: string[] = [];
  for (let size = 0; size < bytes; size += 751) {
    let run = '';
    for (let i = 0; i < 250; i++) run += String.fromCodePoint(0x4e00 + Math.floor(random() * 0x5000));
    runs.push(run);
  }
  return runs.join(' ');
}

describe('the tokenizer thread', () => {
  it('counts as the encoder does on the gateway thread', async () => {
    const thread = new TokenizerThread();
    try {
      const texts = ['Hello, world!', '中文文本，日本語のテキスト', '', 'line\u0085next', 'export const x = 1;\n'];
      const encoder = await loadEncoder('o200k_base');
      expect(await thread.count('o200k_base', texts)).toEqual(texts.map((t) => encoder.count(t)));
      expect(await thread.loaded()).toEqual(['o200k_base']);
    } finally {
      await thread.close();
    }
  });

  it('leaves the event loop free while a slow text is counted', async () => {
    const counter = new TokenCounter();
    await counter.preload(['o200k_base']);
    const text = slowText(60_000);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    try {
      const count = await counter.countChat({ messages: [{ role: 'user', content: text }] }, { model: 'gpt-4o' });
      expect(count.exact).toBe(true);
      // Counted on this thread, the count would have finished before any timer could fire.
      expect(ticks).toBeGreaterThanOrEqual(2);
    } finally {
      clearInterval(timer);
    }
  });

  it('fails the waiting counts when the thread exits, and starts a new one for the next', async () => {
    const thread = new TokenizerThread({ url: fakeWorker() });
    try {
      const waiting = thread.count('o200k_base', ['abc']);
      await expect(thread.count('o200k_base', ['exit'])).rejects.toThrow(/tokenizer thread exited \(code 3\)/);
      // The first was answered before the exit, or failed with it: never left hanging.
      await waiting.catch(() => undefined);
      expect(await thread.count('o200k_base', ['abcd', 'ef'])).toEqual([{ tokens: 4, flags: 0 }, { tokens: 2, flags: 0 }]);
    } finally {
      await thread.close();
    }
  });

  it('stops a thread that answers nothing and replaces it', async () => {
    const thread = new TokenizerThread({ url: fakeWorker(), stuckMs: 300 });
    try {
      await expect(thread.count('o200k_base', ['hang'])).rejects.toThrow(/answered nothing for 300 ms/);
      expect(await thread.count('o200k_base', ['abc'])).toEqual([{ tokens: 3, flags: 0 }]);
    } finally {
      await thread.close();
    }
  });

  it('loads the encodings loaded before into the thread that replaces one that exited', async () => {
    const thread = new TokenizerThread({ url: fakeWorker() });
    try {
      await thread.load('o200k_base');
      await expect(thread.count('o200k_base', ['exit'])).rejects.toThrow(/exited/);
      expect(await thread.count('o200k_base', ['loads'])).toEqual([{ tokens: 1, flags: 0 }]);
    } finally {
      await thread.close();
    }
  });

  it('does not stop a busy thread that keeps answering, however long its queue takes', async () => {
    const thread = new TokenizerThread({ url: fakeWorker(), stuckMs: 300 });
    try {
      // Five answers 150 ms apart: 750 ms in all, each within 300 ms of the one before.
      const counts = await Promise.all(Array.from({ length: 5 }, () => thread.count('o200k_base', ['slow'])));
      expect(counts).toEqual(Array.from({ length: 5 }, () => [{ tokens: 4, flags: 0 }]));
    } finally {
      await thread.close();
    }
  });

  it("takes callers in turn: one caller's queue of slow counts delays another's by at most the two at the thread", async () => {
    const thread = new TokenizerThread({ url: fakeWorker() });
    try {
      const order: string[] = [];
      // Each count keeps the thread busy for 60 ms, as a prompt made to be slow does.
      const flood = Array.from({ length: 6 }, (_, i) => thread.count('o200k_base', ['busy'], 'flooder').then(() => order.push(`f${i}`)));
      // Asked for after the whole flood was queued.
      const victim = thread.count('o200k_base', ['hi'], 'victim').then(() => order.push('v'));
      await Promise.all([...flood, victim]);
      // The flood's first two were at the thread already; the victim's turn came next, not after all six.
      expect(order.indexOf('v')).toBeLessThanOrEqual(2);
    } finally {
      await thread.close();
    }
  });

  it('refuses at once a count beyond the text one caller may have waiting, but never its only one', async () => {
    const thread = new TokenizerThread({ url: fakeWorker(), maxWaitingTextPerScope: 8 });
    try {
      // Two go to the thread, two of 4 characters wait: a fifth would pass 8.
      const admitted = Array.from({ length: 4 }, () => thread.count('o200k_base', ['slow'], 'a'));
      await expect(thread.count('o200k_base', ['slow'], 'a')).rejects.toThrow(/already waiting/);
      // Larger than the cap, but nothing of b's waits: admitted.
      admitted.push(thread.count('o200k_base', ['a much longer text'], 'b'));
      expect(await thread.count('o200k_base', ['ok'], 'c')).toEqual([{ tokens: 2, flags: 0 }]);
      await Promise.all(admitted);
    } finally {
      await thread.close();
    }
  });

  it('does not start again, for a while, a thread that ended before answering anything', async () => {
    const starts = join(dir, 'starts.txt');
    const file = join(dir, 'broken-tokenizer.mjs');
    writeFileSync(file, `import { appendFileSync } from 'node:fs';\nappendFileSync(${JSON.stringify(starts)}, 'x');\nprocess.exit(5);\n`);
    const thread = new TokenizerThread({ url: pathToFileURL(file), retryAfterMs: 400 });
    try {
      await expect(thread.count('o200k_base', ['a'])).rejects.toThrow('tokenizer thread exited (code 5)');
      await expect(thread.count('o200k_base', ['b'])).rejects.toThrow('tokenizer thread unavailable: tokenizer thread exited (code 5)');
      expect(readFileSync(starts, 'utf8')).toBe('x');
      await new Promise((r) => setTimeout(r, 450));
      await expect(thread.count('o200k_base', ['c'])).rejects.toThrow('tokenizer thread exited (code 5)');
      expect(readFileSync(starts, 'utf8')).toBe('xx');
    } finally {
      await thread.close();
    }
  });

  it("passes on the thread's own failure as a rejection", async () => {
    const thread = new TokenizerThread({ url: fakeWorker() });
    try {
      await expect(thread.count('o200k_base', ['fail'])).rejects.toThrow('tokenizer: no such vocabulary');
      expect(await thread.count('o200k_base', ['ok'])).toEqual([{ tokens: 2, flags: 0 }]);
    } finally {
      await thread.close();
    }
  });

  it('fails the counts still waiting when closed', async () => {
    const thread = new TokenizerThread({ url: fakeWorker() });
    const failed = expect(thread.count('o200k_base', ['hang'])).rejects.toThrow('tokenizer thread closed');
    await thread.close();
    await failed;
  });

  it('does not keep an idle process alive', async () => {
    // A process that counted once must exit on its own: the thread is referenced only while counts wait.
    const module = new URL('../../../dist/llm/tokens/tokenizer-thread.js', import.meta.url).href;
    const script = join(dir, 'count-once.mjs');
    writeFileSync(script, `const { sharedTokenizer } = await import(${JSON.stringify(module)}); const [c] = await sharedTokenizer().count('o200k_base', ['hello world']); console.log(c.tokens);`);
    const { stdout } = await promisify(execFile)(process.execPath, [script], { timeout: 20_000 });
    expect(stdout.trim()).toBe('2');
  });
});
