import { describe, expect, it } from 'vitest';
import { ResponsesStreamTap } from './responses-stream-tap.js';
import { eventsOf } from './test-fixtures.js';

const USAGE = { input_tokens: 12, input_tokens_details: { cached_tokens: 0 }, output_tokens: 5, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 17 };
const RESPONSE = { id: 'resp_1', object: 'response', created_at: 1700000000, model: 'gpt-4o-mini', output: [], usage: null };

function stream(events: Array<Record<string, unknown>>): string {
  return events.map((e, i) => `event: ${String(e.type)}\ndata: ${JSON.stringify({ ...e, sequence_number: i })}\n\n`).join('');
}

const TEXT_AND_CALL = [
  { type: 'response.created', response: { ...RESPONSE, status: 'in_progress' } },
  { type: 'response.output_item.added', output_index: 0, item: { id: 'msg_1', type: 'message', role: 'assistant', status: 'in_progress', content: [] } },
  { type: 'response.output_text.delta', item_id: 'msg_1', output_index: 0, content_index: 0, delta: 'Hel', logprobs: [] },
  { type: 'response.output_text.delta', item_id: 'msg_1', output_index: 0, content_index: 0, delta: 'lo', logprobs: [] },
  { type: 'response.output_text.done', item_id: 'msg_1', output_index: 0, content_index: 0, text: 'Hello', logprobs: [] },
  { type: 'response.output_item.added', output_index: 1, item: { id: 'fc_1', type: 'function_call', call_id: 'call_1', name: 'lookup', arguments: '', status: 'in_progress' } },
  { type: 'response.function_call_arguments.delta', item_id: 'fc_1', output_index: 1, delta: '{"q":' },
  { type: 'response.function_call_arguments.delta', item_id: 'fc_1', output_index: 1, delta: '"x"}' },
  { type: 'response.function_call_arguments.done', item_id: 'fc_1', output_index: 1, name: 'lookup', arguments: '{"q":"x"}' },
];

function run(tap: ResponsesStreamTap, text: string) {
  return eventsOf(text).map((ev) => tap.observe(ev));
}

describe('ResponsesStreamTap', () => {
  it('reads usage and the final response from response.completed', () => {
    const tap = new ResponsesStreamTap();
    const completed = { ...RESPONSE, status: 'completed', usage: USAGE };
    const verdicts = run(tap, stream([...TEXT_AND_CALL, { type: 'response.completed', response: completed }]));
    expect(verdicts.slice(0, -1).every((v) => v === 'forward')).toBe(true);
    expect(verdicts.at(-1)).toBe('done');
    expect(tap.finished).toBe(true);
    expect(tap.usage).toEqual(USAGE);
    expect(tap.finalResponse).toEqual(completed);
    expect(tap.lastSequenceNumber).toBe(TEXT_AND_CALL.length);
  });

  it('collects delta text and function names, not the .done repeats', () => {
    const tap = new ResponsesStreamTap();
    run(tap, stream(TEXT_AND_CALL));
    expect(tap.deliveredText).toBe('Hellolookup{"q":"x"}');
    expect(tap.finished).toBe(false);
    expect(tap.usage).toBeUndefined();
  });

  it('finishes on response.incomplete with its usage but no final response for the cache', () => {
    const tap = new ResponsesStreamTap();
    const incomplete = { ...RESPONSE, status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' }, usage: USAGE };
    expect(run(tap, stream([TEXT_AND_CALL[0]!, { type: 'response.incomplete', response: incomplete }]))).toEqual(['forward', 'done']);
    expect(tap.finished).toBe(true);
    expect(tap.usage).toEqual(USAGE);
    expect(tap.finalResponse).toBeUndefined();
  });

  it('finishes on response.failed and records its error', () => {
    const tap = new ResponsesStreamTap();
    const error = { code: 'server_error', message: 'boom' };
    run(tap, stream([TEXT_AND_CALL[0]!, { type: 'response.failed', response: { ...RESPONSE, status: 'failed', error } }]));
    expect(tap.finished).toBe(true);
    expect(tap.error).toEqual(error);
    expect(tap.finalResponse).toBeUndefined();
  });

  it('keeps usage of explicit zeros', () => {
    const tap = new ResponsesStreamTap();
    const zeros = { input_tokens: 0, output_tokens: 0, total_tokens: 0 };
    run(tap, stream([{ type: 'response.completed', response: { ...RESPONSE, status: 'completed', usage: zeros } }]));
    expect(tap.usage).toEqual(zeros);
  });

  it('forwards an error event, records it, and is not finished by it', () => {
    const tap = new ResponsesStreamTap();
    const error = { type: 'error', code: 'rate_limit_exceeded', message: 'slow down', param: null };
    expect(run(tap, stream([TEXT_AND_CALL[0]!, error]))).toEqual(['forward', 'forward']);
    expect(tap.error).toMatchObject({ code: 'rate_limit_exceeded' });
    expect(tap.finished).toBe(false);
  });

  it('forwards comments and data that is not JSON, counting the latter as text', () => {
    const tap = new ResponsesStreamTap();
    expect(run(tap, ': ping\n\ndata: garbage\n\n')).toEqual(['forward', 'forward']);
    expect(tap.deliveredText).toBe('garbage');
  });

  it('takes the event type from the event field when the data has none', () => {
    const tap = new ResponsesStreamTap();
    expect(run(tap, `event: response.completed\ndata: ${JSON.stringify({ response: { ...RESPONSE, usage: USAGE } })}\n\n`)).toEqual(['done']);
    expect(tap.usage).toEqual(USAGE);
  });
});
