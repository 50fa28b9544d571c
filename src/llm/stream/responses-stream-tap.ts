import type { Response } from 'openai/resources/responses/responses';
import { isObject } from '../../util/is-object.js';
import { parseObjectData } from './parse-data.js';
import type { SseEvent } from './sse-parser.js';

/**
 * Watches a Responses API stream as a relay forwards it. Usage comes only in the terminal
 * event (`response.completed`, `.incomplete` or `.failed`, as `response.usage`), so the tap
 * keeps the text of the deltas for counting tokens when that event never arrives. Every
 * event is forwarded unchanged: the Responses API has no usage-only event to strip.
 */
export type ResponsesTapVerdict = 'forward' | 'done';

const TERMINAL = new Set(['response.completed', 'response.incomplete', 'response.failed']);

/** Events whose `delta` is text the model produced (and the provider bills as output). */
const TEXT_DELTAS = new Set([
  'response.output_text.delta',
  'response.refusal.delta',
  'response.function_call_arguments.delta',
  'response.custom_tool_call_input.delta',
  'response.mcp_call_arguments.delta',
  'response.code_interpreter_call_code.delta',
  'response.reasoning_text.delta',
  'response.reasoning_summary_text.delta',
  'response.audio.transcript.delta',
]);

export class ResponsesStreamTap {
  #text: string[] = [];
  #usage: unknown = undefined;
  #error: unknown = undefined;
  #finished = false;
  #finalResponse: Response | undefined = undefined;
  #lastSequence: number | undefined = undefined;

  /** `done` for the terminal event (and a stray `[DONE]`); every event is forwarded. */
  observe(ev: SseEvent): ResponsesTapVerdict {
    if (ev.comment) return 'forward';
    const data = ev.data;
    if (data.startsWith('[DONE]')) return 'done';
    const event = parseObjectData(data);
    if (!event) {
      this.#text.push(data);
      return 'forward';
    }
    if (typeof event.sequence_number === 'number') this.#lastSequence = event.sequence_number;
    const type = typeof event.type === 'string' ? event.type : ev.event;
    if (type === undefined) return 'forward';
    if (TEXT_DELTAS.has(type)) {
      if (typeof event.delta === 'string') this.#text.push(event.delta);
    } else if (type === 'response.output_item.added') {
      // A function call's name arrives once, in the item that opens it.
      const item = event.item;
      if (isObject(item) && typeof item.name === 'string' && item.type !== 'message') this.#text.push(item.name);
    } else if (TERMINAL.has(type)) {
      const response = event.response;
      if (isObject(response)) {
        if (isObject(response.usage)) this.#usage = response.usage;
        if (type === 'response.completed') this.#finalResponse = response as unknown as Response;
        else if (type === 'response.failed') this.#error ??= response.error ?? event;
      }
      this.#finished = true;
      return 'done';
    } else if (type === 'error') {
      this.#error ??= event;
    }
    return 'forward';
  }

  /** `response.usage` of the terminal event as sent (explicit zeros included), or undefined. */
  get usage(): unknown {
    return this.#usage;
  }

  /** Delta text, function names and data that was not JSON, for counting tokens without usage. */
  get deliveredText(): string {
    return this.#text.join('');
  }

  /** A terminal event was seen: `response.completed`, `response.incomplete` or `response.failed`. */
  get finished(): boolean {
    return this.#finished;
  }

  /** The response of `response.completed`, for the response cache (never of an incomplete or failed one). */
  get finalResponse(): Response | undefined {
    return this.#finalResponse;
  }

  /** The `error` event or the failed response's error, if the provider sent one. */
  get error(): unknown {
    return this.#error;
  }

  /** The last `sequence_number` seen: a relay can report where a broken stream stopped. */
  get lastSequenceNumber(): number | undefined {
    return this.#lastSequence;
  }
}
