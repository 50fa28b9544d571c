import type { ChatCompletion } from 'openai/resources/chat/completions';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SseParser, type SseEvent } from './sse-parser.js';

/** The events of a whole stream, as a relay's parser would hand them over. */
export function eventsOf(stream: string | Buffer): SseEvent[] {
  const p = new SseParser({ maxEventBytes: 1 << 20 });
  return [...p.push(Buffer.isBuffer(stream) ? stream : Buffer.from(stream)), ...p.end()];
}

/** `data: <json>` framing of chat chunks (and [DONE] for the string '[DONE]'). */
export function sseData(...items: Array<object | string>): string {
  return items.map((it) => `data: ${typeof it === 'string' ? it : JSON.stringify(it)}\n\n`).join('');
}

/**
 * A local server answering every request with `body` as an event stream, written in small
 * pieces so the client parses across chunk boundaries. Close it with `close()`.
 */
export async function serveStream(body: Buffer, pieceBytes = 7): Promise<{ baseURL: string; close: () => Promise<void> }> {
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      for (let i = 0; i < body.length; i += pieceBytes) res.write(body.subarray(i, i + pieceBytes));
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A completion with two tool calls (chat-stream-tap.test.ts streams it; replay.test.ts replays it). */
export const TOOL_CALL_COMPLETION: ChatCompletion = {
  id: 'chatcmpl-1',
  object: 'chat.completion',
  created: 1700000000,
  model: 'gpt-4o-mini',
  system_fingerprint: 'fp_1',
  choices: [
    {
      index: 0,
      finish_reason: 'tool_calls',
      logprobs: null,
      message: {
        role: 'assistant',
        content: null,
        refusal: null,
        tool_calls: [
          { id: 'call_a', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
          { id: 'call_b', type: 'function', function: { name: 'get_time', arguments: '{"tz":"CET"}' } },
        ],
      },
    },
  ],
  usage: { prompt_tokens: 9, completion_tokens: 3, total_tokens: 12 },
};
