// Request bodies for bench/llm-call.mjs, pre-serialized so the load generator spends its CPU on
// the wire, not on JSON.stringify of whole prompts. Each workload hands every connection its own
// session; `next()` returns the body of that connection's next request.
//   short      the 2-message chat of ../shared/bench (system + user), the same body every time
//   prompt4k   an agent-sized prompt: a fixed ~3 KB system prompt (prose and code) and a ~1 KB
//              user task that is new on every request
//   history64  an agent's conversation: every request resends the history plus one new message
//              (user prose ~1 KB, assistant code ~2 KB, alternating); back to a fresh history
//              once the body would pass 64 KB
//   window64   the same conversation kept at ~64 KB: the new message is appended and the oldest
//              ones dropped, so every request is ~64 KB and carries exactly one unseen message
// Text comes from this repository (docs/ prose, src/ code), marked with a sequence number so no
// two new messages are equal: a gateway that memoizes token counts per message must count each.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from './lib.mjs';

export const WORKLOADS = ['short', 'prompt4k', 'history64', 'window64'];
export const MODEL = 'gpt-4o-mini';
const LIMIT = 64 * 1024;

function sources(dir, suffix, skip) {
  const found = [];
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name.endsWith(suffix) && !skip(entry.name)) found.push(join(entry.parentPath ?? entry.path, entry.name));
  }
  return found.sort();
}

/** Paragraph text of the docs: lines that start with a letter, outside code fences. */
function proseCorpus() {
  const lines = [];
  for (const file of sources(join(REPO, 'docs'), '.md', () => false)) {
    let inFence = false;
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (line.startsWith('```')) inFence = !inFence;
      else if (!inFence && /^[A-Za-z]/.test(line)) lines.push(line);
    }
  }
  return lines.join(' ');
}

const codeCorpus = () =>
  sources(join(REPO, 'src'), '.ts', (name) => name.endsWith('.test.ts'))
    .map((f) => readFileSync(f, 'utf8'))
    .join('\n');

/** Hands out consecutive slices of a corpus, wrapping around; the sequence mark keeps them distinct after a wrap. */
class Feed {
  #text;
  #at = 0;
  constructor(text) {
    if (text.length < 8192) throw new Error('bench corpus too small: run from a checkout with docs/ and src/');
    this.#text = text;
  }
  take(chars) {
    if (this.#at + chars > this.#text.length) this.#at = 0;
    const s = this.#text.slice(this.#at, this.#at + chars);
    this.#at += chars;
    return s;
  }
}

const messageJson = (role, content) => `{"role":"${role}","content":${JSON.stringify(content)}}`;

/** Tail of the body for each mode; streams ask for the usage chunk, as the shared benchmark does. */
export const TAILS = {
  json: ',"temperature":0.2}',
  stream: ',"temperature":0.2,"stream":true,"stream_options":{"include_usage":true}}',
};
const HEAD = `{"model":"${MODEL}","messages":[`;

export function createWorkloads() {
  const prose = new Feed(proseCorpus());
  const code = new Feed(codeCorpus());
  let seq = 0;
  const SHORT = messageJson('system', 'You are a helpful assistant.') + ',' + messageJson('user', 'Summarise the benefits of running an LLM gateway in front of model providers in two sentences.');
  const SYSTEM4K = messageJson('system', `You are a coding agent working in this repository. House rules follow.\n${prose.take(1500)}\nReference code:\n${code.take(1500)}`);
  const SYSTEM_AGENT = messageJson('system', `You are a coding agent. Answer with code where you can.\n${prose.take(400)}`);

  /** One conversation turn: the user's prose or the assistant's code, never seen before. */
  const turn = (user) => {
    const n = ++seq;
    const json = user ? messageJson('user', `(turn ${n}) ${prose.take(1000)}`) : messageJson('assistant', `// turn ${n}\n${code.take(2000)}`);
    return { json, bytes: Buffer.byteLength(json) + 1 };
  };

  /** A conversation resent in full on every request; `slide` drops the oldest turns instead of starting over. */
  function conversation(tail, slide) {
    const fixed = HEAD.length + SYSTEM_AGENT.length + tail.length + 2;
    let turns = [];
    let bytes = fixed;
    let user = true;
    const grow = () => {
      const t = turn(user);
      user = !user;
      if (bytes + t.bytes > LIMIT) {
        if (!slide) {
          turns = [];
          bytes = fixed;
        }
        while (turns.length > 0 && bytes + t.bytes > LIMIT) bytes -= turns.shift().bytes;
      }
      turns.push(t);
      bytes += t.bytes;
    };
    const body = () => {
      let s = HEAD + SYSTEM_AGENT;
      for (const t of turns) s += ',' + t.json;
      return s + ']' + tail;
    };
    // A sliding window starts full, so its first (unmeasured) request is the only one that counts it all.
    if (slide) while (bytes < LIMIT - 3500) grow();
    return () => {
      grow();
      return body();
    };
  }

  /** `session(workload, mode)` returns next(): the body of that connection's next request. */
  return function session(workload, mode) {
    const tail = TAILS[mode];
    if (!tail) throw new Error(`unknown mode ${mode}`);
    switch (workload) {
      case 'short': {
        const body = HEAD + SHORT + ']' + tail;
        return () => body;
      }
      case 'prompt4k': {
        const head = HEAD + SYSTEM4K + ',';
        return () => head + messageJson('user', `Task ${++seq}: ${prose.take(1000)}`) + ']' + tail;
      }
      case 'history64':
        return conversation(tail, false);
      case 'window64':
        return conversation(tail, true);
      default:
        throw new Error(`unknown workload ${workload} (one of ${WORKLOADS.join(', ')})`);
    }
  };
}
