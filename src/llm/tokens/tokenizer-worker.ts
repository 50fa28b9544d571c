/**
 * The tokenizer thread: exact token counts run here, not on the gateway's event loop. A
 * count of text made to be slow takes about 100 ms, more on a slow host (maxExactBytes caps
 * it), which would stall every other request; and each vocabulary (10 to 20 MB of small
 * strings) lives on this thread's heap, so the gateway's full collections do not mark it.
 */
import { parentPort } from 'node:worker_threads';
import { loadEncoder, loadedEncodings } from './encoding-counter.js';
import type { TokenizedMsg, TokenizeMsg } from './tokenizer-protocol.js';

const port = parentPort!;

async function answer([id, encoding, texts]: TokenizeMsg): Promise<TokenizedMsg> {
  if (encoding === null) return [id, null, null, null, loadedEncodings()];
  try {
    const encoder = await loadEncoder(encoding);
    if (texts === null) return [id, [], [], null];
    const tokens: number[] = [];
    const flags: number[] = [];
    for (const text of texts) {
      const m = encoder.count(text);
      tokens.push(m.tokens);
      flags.push(m.flags);
    }
    return [id, tokens, flags, null];
  } catch (err) {
    return [id, null, null, err instanceof Error ? err.message : String(err)];
  }
}

port.on('message', (msg: TokenizeMsg) => {
  void answer(msg).then((reply) => port.postMessage(reply));
});
