// A fake OpenAI-compatible upstream on 127.0.0.1: chat completions, embeddings, responses and
// models, shaped as OpenAI's API (checked against the `openai` package's types), with scripted
// misbehaviour (errors, delays, hangs, broken or endless streams, wrong usage) and exact
// prompt-token counts from js-tiktoken. Plain JS so benchmarks can run it on node; the tests
// import it through test/helpers/fake-openai.ts, and the types live in fake-openai.d.mts.
// Run as a script (`node bench/fake-openai.mjs [--port=N] [--api-key=K] [--approx-tokens]`) it prints
// "LISTENING <port>" and keeps no request log, so a long benchmark does not grow its memory.
import { createServer } from 'node:http';
import { pathToFileURL } from 'node:url';
import { Tiktoken } from 'js-tiktoken/lite';

const DEFAULT_TOKENS = 8;
/** An endless stream with no chunk delay would flood the client; this is its pace instead. */
const NEVER_END_PACE_MS = 20;
/** Each of these is one token in both o200k_base and cl100k_base, and they do not merge when joined. */
const FIRST_WORD = 'Hello';
const WORDS = [' from', ' the', ' fake', ' model', ' with', ' some', ' more', ' words', ' to', ' say', ' here', ' and', ' there', ' again', ' now'];
/** One token per repetition in both encodings: the filler of `hugeEventBytes` events. */
const FILLER = ' a';
/** Image parts are reported at the low-detail price, a fixed 85 tokens. */
const IMAGE_TOKENS = 85;
const MEMO_LIMIT = 20_000;
const DEFAULT_MODELS = [
  'gpt-4o',
  'gpt-4o-mini',
  'gpt-4.1',
  'gpt-4.1-mini',
  'gpt-5',
  'o3-mini',
  'gpt-4',
  'gpt-3.5-turbo',
  'text-embedding-3-small',
  'text-embedding-3-large',
  'text-embedding-ada-002',
];

// ---------------------------------------------------------------------------------------------
// Token counting: the fake's own, independent of the gateway's counter, so tests can compare.

const O200K_NAMES = /^(?:openai\/)?(?:ft:)?(?:chatgpt-4o|gpt-4o|gpt-4\.1|gpt-4\.5|gpt-5|o\d)(?:[-.:]|$)/i;
const encoders = new Map();

/** The encoding OpenAI uses for a model name: o200k_base for gpt-4o/4.1/o-series/gpt-5, cl100k_base otherwise. */
export function encodingNameFor(model) {
  return O200K_NAMES.test(model) ? 'o200k_base' : 'cl100k_base';
}

/** Loaded on first use: each rank table takes a few hundred milliseconds to parse. */
function encoder(name) {
  let pending = encoders.get(name);
  if (!pending) {
    const ranks = name === 'o200k_base' ? import('js-tiktoken/ranks/o200k_base') : import('js-tiktoken/ranks/cl100k_base');
    pending = ranks.then((m) => countingEncoder(new Tiktoken(m.default)));
    encoders.set(name, pending);
  }
  return pending;
}

/**
 * Counts text as the API does (special-token strings are plain text), memoized per string:
 * agents resend a growing history, and the benchmarks would otherwise measure js-tiktoken.
 */
/**
 * About four bytes a token, without tokenizing: for benchmarks, where counting a 64 KB prompt
 * exactly (about 1 ms of CPU) would make the upstream, not the gateway, the bottleneck.
 */
function approxTokens(text) {
  return text.length === 0 ? 0 : Math.ceil(Buffer.byteLength(text) / 4);
}

function countingEncoder(tiktoken) {
  const memo = new Map();
  return (text) => {
    if (text.length === 0) return 0;
    let n = memo.get(text);
    if (n === undefined) {
      n = tiktoken.encode(text, [], []).length;
      if (memo.size >= MEMO_LIMIT) memo.clear();
      memo.set(text, n);
    }
    return n;
  };
}

function countParts(count, parts) {
  let n = 0;
  for (const part of parts) {
    if (part === null || typeof part !== 'object') n += count(JSON.stringify(part) ?? '');
    else if (typeof part.text === 'string' && (part.type === 'text' || part.type === 'input_text' || part.type === 'output_text')) n += count(part.text);
    else if (part.type === 'image_url' || part.type === 'input_image') n += IMAGE_TOKENS;
    else n += count(JSON.stringify(part));
  }
  return n;
}

function countValue(count, value) {
  if (typeof value === 'string') return count(value);
  if (value === null || value === undefined) return 0;
  if (Array.isArray(value)) return countParts(count, value);
  return count(JSON.stringify(value));
}

/**
 * OpenAI's chat rule (its cookbook, "How to count tokens with tiktoken"): 3 per message, the
 * tokens of each value, 1 more for a name, 3 to prime the reply. Tool definitions are counted
 * by their JSON: OpenAI does not publish how it renders them, so no rule here is "the" count.
 */
export function countChatPrompt(count, messages, tools) {
  let n = 3;
  if (Array.isArray(messages)) {
    for (const message of messages) {
      n += 3;
      if (message === null || typeof message !== 'object') continue;
      for (const key of Object.keys(message)) {
        n += countValue(count, message[key]);
        if (key === 'name') n += 1;
      }
    }
  }
  if (Array.isArray(tools) && tools.length > 0) n += count(JSON.stringify(tools));
  return n;
}

/** Responses input: instructions as a system message, message items by the chat rule, other items by their JSON. */
function countResponsesPrompt(count, body) {
  const messages = [];
  if (typeof body.instructions === 'string') messages.push({ role: 'system', content: body.instructions });
  if (typeof body.input === 'string') messages.push({ role: 'user', content: body.input });
  let extra = 0;
  if (Array.isArray(body.input)) {
    for (const item of body.input) {
      if (item !== null && typeof item === 'object' && typeof item.role === 'string' && (item.type === undefined || item.type === 'message')) {
        messages.push({ role: item.role, content: item.content });
      } else extra += 3 + count(JSON.stringify(item) ?? '');
    }
  }
  return countChatPrompt(count, messages, body.tools) + extra;
}

// ---------------------------------------------------------------------------------------------
// Small pieces shared by the endpoints.

function word(i) {
  return i === 0 ? FIRST_WORD : WORDS[(i - 1) % WORDS.length];
}

function replyText(tokens) {
  let s = '';
  for (let i = 0; i < tokens; i++) s += word(i);
  return s;
}

function errorEnvelope(status, message) {
  const type = status === 429 ? 'requests' : status >= 500 ? 'server_error' : 'invalid_request_error';
  const code = status === 401 ? 'invalid_api_key' : status === 404 ? 'model_not_found' : status === 429 ? 'rate_limit_exceeded' : null;
  return { error: { message: message ?? `The fake upstream answered ${status}.`, type, param: null, code } };
}

function positiveInt(value) {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : undefined;
}

/** Arguments a model might produce for a JSON schema: each property with a plausible value. */
function exampleArguments(parameters) {
  const args = {};
  const properties = parameters && typeof parameters === 'object' ? parameters.properties : undefined;
  if (properties && typeof properties === 'object') {
    for (const key of Object.keys(properties)) {
      const p = properties[key] ?? {};
      if (Array.isArray(p.enum) && p.enum.length > 0) args[key] = p.enum[0];
      else if (p.type === 'number' || p.type === 'integer') args[key] = 1;
      else if (p.type === 'boolean') args[key] = true;
      else if (p.type === 'array') args[key] = [];
      else if (p.type === 'object') args[key] = {};
      else args[key] = 'example';
    }
  }
  return JSON.stringify(args);
}

/** The first function tool of a request, in the chat shape ({function: {...}}) or the Responses one (flat). */
function firstFunction(tools) {
  if (Array.isArray(tools)) {
    for (const t of tools) {
      if (t?.type !== 'function') continue;
      const fn = t.function ?? t;
      if (typeof fn.name === 'string') return { name: fn.name, arguments: exampleArguments(fn.parameters) };
    }
  }
  // Without tools in the request there is nothing to call; the step asked for a call anyway.
  return { name: 'fake_tool', arguments: '{}' };
}

function pieces(text, size) {
  const out = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out.length > 0 ? out : [''];
}

/** What the "provider" reports: its own count unless the step overrides it, or undefined to omit usage. */
function reported(step, promptTokens, completionTokens) {
  const u = step.usage;
  if (u === 'omit') return undefined;
  if (u && typeof u === 'object') return { prompt: u.prompt_tokens, completion: u.completion_tokens, cached: u.cached_tokens ?? 0 };
  return { prompt: promptTokens, completion: completionTokens, cached: 0 };
}

function chatUsage(r) {
  return {
    prompt_tokens: r.prompt,
    completion_tokens: r.completion,
    total_tokens: r.prompt + r.completion,
    prompt_tokens_details: { cached_tokens: r.cached, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
  };
}

function responsesUsage(r) {
  return {
    input_tokens: r.prompt,
    input_tokens_details: { cached_tokens: r.cached },
    output_tokens: r.completion,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: r.prompt + r.completion,
  };
}

/** Deterministic unit vector for an input, so equal inputs embed equally. */
function embed(seedText, dims) {
  let h = 2166136261;
  for (let i = 0; i < seedText.length; i++) h = Math.imul(h ^ seedText.charCodeAt(i), 16777619);
  let x = h >>> 0 || 1;
  const v = new Float32Array(dims);
  let norm = 0;
  for (let i = 0; i < dims; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    const f = ((x >>> 0) / 4294967296) * 2 - 1;
    v[i] = f;
    norm += f * f;
  }
  const scale = 1 / Math.sqrt(norm || 1);
  for (let i = 0; i < dims; i++) v[i] *= scale;
  return v;
}

// ---------------------------------------------------------------------------------------------
// The server.

export async function startFakeOpenAi(opts = {}) {
  const host = opts.host ?? '127.0.0.1';
  const record = opts.record !== false;
  const models = opts.models ?? DEFAULT_MODELS;
  const requests = [];
  const queue = [];
  let defaultStep = {};
  let seq = 0;
  const stats = { open: 0, aborted: 0, inFlight: 0 };
  const sockets = new Set();
  const timers = new Set();
  let closing = false;

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  server.keepAliveTimeout = 60_000;
  server.on('connection', (socket) => {
    stats.open++;
    sockets.add(socket);
    socket.once('close', () => {
      stats.open--;
      sockets.delete(socket);
    });
  });

  async function handle(req, res) {
    const ctx = { closed: false, selfDestroyed: false, id: ++seq };
    stats.inFlight++;
    res.once('close', () => {
      ctx.closed = true;
      stats.inFlight--;
      if (!res.writableEnded && !ctx.selfDestroyed && !closing) stats.aborted++;
    });

    const chunks = [];
    let readFailed = false;
    try {
      for await (const c of req) chunks.push(c);
    } catch {
      readFailed = true;
    }
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    let body;
    let malformed = false;
    if (chunks.length > 0) {
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        malformed = true;
      }
    }
    if (record) requests.push({ method: req.method ?? '', path, headers: req.headers, body, at: Date.now() });
    if (readFailed || ctx.closed) return;

    const common = { 'x-request-id': `req_fake${ctx.id}` };
    if (opts.apiKey !== undefined && req.headers.authorization !== `Bearer ${opts.apiKey}`) {
      return sendJson(res, 401, common, errorEnvelope(401, 'Incorrect API key provided.'));
    }

    if (req.method === 'GET' && path === '/v1/models') {
      return sendJson(res, 200, common, { object: 'list', data: models.map(modelObject) });
    }
    if (req.method === 'GET' && path.startsWith('/v1/models/')) {
      const id = decodeURIComponent(path.slice('/v1/models/'.length));
      if (models.includes(id)) return sendJson(res, 200, common, modelObject(id));
      const e = errorEnvelope(404, `The model '${id}' does not exist`);
      e.error.param = 'model';
      return sendJson(res, 404, common, e);
    }
    const endpoint = req.method === 'POST' ? ENDPOINTS[path] : undefined;
    if (!endpoint) return sendJson(res, 404, common, errorEnvelope(404, `Unknown request URL: ${req.method} ${path}.`));
    if (malformed || body === null || typeof body !== 'object' || Array.isArray(body)) {
      return sendJson(res, 400, common, errorEnvelope(400, 'We could not parse the JSON body of your request.'));
    }
    if (typeof body.model !== 'string' || body.model === '') {
      return sendJson(res, 400, common, errorEnvelope(400, 'you must provide a model parameter'));
    }

    // A fail-<status> model fails on its own and leaves the script to the other targets.
    const failing = /^fail-(\d{3})$/.exec(body.model);
    const step = failing ? { status: Number(failing[1]) } : (queue.shift() ?? defaultStep);
    if (step.hang) return;
    if (step.delayMs > 0) {
      await pause(step.delayMs, res, ctx, timers);
      if (ctx.closed) return;
    }
    const headers = { ...common, ...step.headers };
    if (step.retryAfter !== undefined) headers['retry-after'] = step.retryAfter;
    if (step.text !== undefined) {
      res.writeHead(step.status ?? 200, { ...headers, 'content-type': step.contentType ?? 'text/html', 'content-length': Buffer.byteLength(step.text) });
      return res.end(step.text);
    }
    if (step.status >= 400 && step.errorText !== undefined) return sendText(res, step.status, headers, step.errorText);
    if (step.status >= 400) return sendJson(res, step.status, headers, step.errorBody ?? errorEnvelope(step.status));
    const count = opts.approxTokens ? approxTokens : await encoder(encodingNameFor(body.model));
    if (ctx.closed) return;
    return endpoint({ req, res, ctx, body, step, headers, count, status: step.status ?? 200, timers, seq: ctx.id });
  }

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const port = server.address().port;

  return {
    url: `http://${host}:${port}/v1`,
    port,
    requests,
    stats,
    script: (...steps) => void queue.push(...steps),
    setDefault: (step) => void (defaultStep = step),
    reset: () => {
      requests.length = 0;
      queue.length = 0;
      defaultStep = {};
      stats.aborted = 0;
    },
    // Resolves once every socket has closed too, so `stats.open` reads 0 afterwards.
    close: async () => {
      closing = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      const socketsClosed = [...sockets].map((s) => new Promise((resolve) => s.once('close', resolve)));
      const serverClosed = new Promise((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      for (const s of sockets) s.destroy();
      await Promise.all([serverClosed, ...socketsClosed]);
    },
  };
}

function modelObject(id) {
  return { id, object: 'model', created: 1_700_000_000, owned_by: 'system' };
}

function sendJson(res, status, headers, payload) {
  sendText(res, status, headers, JSON.stringify(payload));
}

function sendText(res, status, headers, text) {
  res.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Waits, but no longer than the client stays: a closed response ends the wait at once. */
function pause(ms, res, ctx, timers) {
  if (ctx.closed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      timers.delete(timer);
      res.off('close', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    timers.add(timer);
    res.once('close', done);
  });
}

const SSE_HEADERS = { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' };

/**
 * Writes SSE frames as the step says: all at once when there is no pacing (the fast path the
 * benchmarks take), else one per `chunkDelayMs`; `breakAfterChunks` destroys the socket once
 * that many frames reached the kernel, so the client sees them and then a broken body.
 */
async function pump(args, frames) {
  const { res, ctx, step, headers, status, timers } = args;
  res.writeHead(status, { ...headers, ...SSE_HEADERS });
  const limit = step.breakAfterChunks;
  const breakNow = () => {
    ctx.selfDestroyed = true;
    res.socket?.destroy();
  };
  const delay = step.chunkDelayMs > 0 ? step.chunkDelayMs : step.neverEnd ? NEVER_END_PACE_MS : 0;
  if (delay === 0) {
    let text = '';
    let sent = 0;
    for (const frame of frames) {
      if (limit !== undefined && sent >= limit) break;
      text += frame;
      sent++;
    }
    if (limit !== undefined && sent >= limit) res.write(text, breakNow);
    else if (step.lingerAfterDoneMs > 0) {
      res.write(text);
      await pause(step.lingerAfterDoneMs, res, ctx, timers);
      if (!ctx.closed) res.end();
    } else res.end(text);
    return;
  }
  let sent = 0;
  for (const frame of frames) {
    if (limit !== undefined && sent >= limit) return void breakNow();
    if (sent > 0) await pause(delay, res, ctx, timers);
    if (ctx.closed) return;
    sent++;
    if (limit !== undefined && sent >= limit) return void res.write(frame, breakNow);
    res.write(frame);
  }
  res.end();
}

// ---------------------------------------------------------------------------------------------
// POST /v1/chat/completions

function chatCompletions(args) {
  const { body, step, count } = args;
  const n = positiveInt(body.n) ?? 1;
  const wanted = step.tokens ?? DEFAULT_TOKENS;
  const max = positiveInt(body.max_completion_tokens) ?? positiveInt(body.max_tokens);
  const produced = max !== undefined && max < wanted ? max : wanted;
  const promptTokens = countChatPrompt(count, body.messages, body.tools ?? body.functions);
  const call = step.toolCall ? firstFunction(body.tools) : undefined;
  const perChoice = call ? count(call.name) + count(call.arguments) : produced;
  const finish = call ? 'tool_calls' : produced < wanted ? 'length' : 'stop';
  const reply = {
    id: `chatcmpl-fake${args.seq}`,
    created: Math.floor(Date.now() / 1000),
    model: body.model,
    n,
    produced,
    call,
    finish,
    callId: `call_fake${args.seq}`,
  };
  if (body.stream === true) {
    const includeUsage = body.stream_options?.include_usage === true && step.usage !== 'omit';
    return pump(args, chatFrames(reply, step, count, includeUsage, promptTokens, perChoice * n));
  }
  const choices = [];
  for (let i = 0; i < n; i++) {
    const message = call
      ? { role: 'assistant', content: null, refusal: null, annotations: [], tool_calls: [{ id: reply.callId, type: 'function', function: call }] }
      : { role: 'assistant', content: replyText(produced), refusal: null, annotations: [] };
    choices.push({ index: i, message, logprobs: null, finish_reason: finish });
  }
  const r = reported(step, promptTokens, perChoice * n);
  const completion = { id: reply.id, object: 'chat.completion', created: reply.created, model: reply.model, choices };
  if (r) completion.usage = chatUsage(r);
  completion.service_tier = 'default';
  completion.system_fingerprint = 'fp_fake';
  return sendJson(args.res, args.status, args.headers, completion);
}

// Frames are assembled from pre-built strings: one per token is the benchmarks' hot path.
function* chatFrames(reply, step, count, includeUsage, promptTokens, completionTokens) {
  const envelope =
    `{"id":"${reply.id}","object":"chat.completion.chunk","created":${reply.created},` +
    `"model":${JSON.stringify(reply.model)},"service_tier":"default","system_fingerprint":"fp_fake",`;
  const head = `data: ${envelope}"choices":[`;
  const tail = includeUsage ? '],"usage":null}\n\n' : ']}\n\n';
  const choice = (i, delta, finish) => `{"index":${i},"delta":${delta},"logprobs":null,"finish_reason":${finish}}`;
  const { n, call } = reply;

  for (let i = 0; i < n; i++) {
    const first = call
      ? JSON.stringify({
          role: 'assistant',
          content: null,
          refusal: null,
          tool_calls: [{ index: 0, id: reply.callId, type: 'function', function: { name: call.name, arguments: '' } }],
        })
      : '{"role":"assistant","content":"","refusal":null}';
    yield head + choice(i, first, 'null') + tail;
  }
  if (call) {
    for (const piece of pieces(call.arguments, 8)) {
      for (let i = 0; i < n; i++) yield head + choice(i, `{"tool_calls":[{"index":0,"function":{"arguments":${JSON.stringify(piece)}}}]}`, 'null') + tail;
    }
  } else {
    for (let t = 0; step.neverEnd || t < reply.produced; t++) {
      const delta = `{"content":${JSON.stringify(word(t))}}`;
      for (let i = 0; i < n; i++) yield head + choice(i, delta, 'null') + tail;
    }
  }
  // After the words, so the filler (which starts with a space) cannot merge with them into other tokens.
  let extra = 0;
  if (step.hugeEventBytes > 0 && !call) {
    const empty = head + choice(0, '{"content":""}', 'null') + tail;
    extra = Math.max(1, Math.floor((step.hugeEventBytes - Buffer.byteLength(empty)) / FILLER.length));
    yield head + choice(0, `{"content":"${FILLER.repeat(extra)}"}`, 'null') + tail;
  }
  for (let i = 0; i < n; i++) yield head + choice(i, '{}', `"${reply.finish}"`) + tail;
  const r = reported(step, promptTokens, completionTokens + extra);
  if (includeUsage && r) {
    yield `data: ${envelope}"choices":[],"usage":${JSON.stringify(chatUsage(r))}}\n\n`;
  }
  yield 'data: [DONE]\n\n';
}

// ---------------------------------------------------------------------------------------------
// POST /v1/embeddings

function embeddings(args) {
  const { body, step, count } = args;
  const input = body.input;
  const inputs = typeof input === 'string' || (Array.isArray(input) && typeof input[0] === 'number') ? [input] : input;
  const valid =
    Array.isArray(inputs) &&
    inputs.length > 0 &&
    inputs.every((x) => (typeof x === 'string' && x.length > 0) || (Array.isArray(x) && x.length > 0 && x.every((t) => Number.isInteger(t))));
  if (!valid) {
    const e = errorEnvelope(400, "'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.");
    e.error.param = 'input';
    return sendJson(args.res, 400, args.headers, e);
  }
  const dims = positiveInt(body.dimensions) ?? (body.model === 'text-embedding-3-large' ? 3072 : 1536);
  const base64 = body.encoding_format === 'base64';
  let tokens = 0;
  const data = inputs.map((x, index) => {
    const isText = typeof x === 'string';
    tokens += isText ? count(x) : x.length;
    const v = embed(isText ? x : x.join(','), dims);
    return { object: 'embedding', index, embedding: base64 ? Buffer.from(v.buffer).toString('base64') : Array.from(v) };
  });
  const r = reported(step, tokens, 0);
  const payload = { object: 'list', data, model: body.model };
  if (r) payload.usage = { prompt_tokens: r.prompt, total_tokens: r.prompt };
  return sendJson(args.res, args.status, args.headers, payload);
}

// ---------------------------------------------------------------------------------------------
// POST /v1/responses

function responses(args) {
  const { body, step, count } = args;
  const wanted = step.tokens ?? DEFAULT_TOKENS;
  const max = positiveInt(body.max_output_tokens);
  const produced = max !== undefined && max < wanted ? max : wanted;
  const call = step.toolCall ? firstFunction(body.tools) : undefined;
  const truncated = !call && produced < wanted;
  const outputTokens = call ? count(call.name) + count(call.arguments) : produced;
  const ids = { response: `resp_fake${args.seq}`, item: call ? `fc_fake${args.seq}` : `msg_fake${args.seq}`, call: `call_fake${args.seq}` };
  const base = {
    id: ids.response,
    object: 'response',
    created_at: Math.floor(Date.now() / 1000),
    status: 'in_progress',
    background: false,
    error: null,
    incomplete_details: null,
    instructions: body.instructions ?? null,
    max_output_tokens: body.max_output_tokens ?? null,
    model: body.model,
    output: [],
    parallel_tool_calls: true,
    previous_response_id: body.previous_response_id ?? null,
    reasoning: { effort: null, summary: null },
    service_tier: 'default',
    store: body.store ?? true,
    temperature: body.temperature ?? 1,
    text: { format: { type: 'text' } },
    tool_choice: body.tool_choice ?? 'auto',
    tools: body.tools ?? [],
    top_p: body.top_p ?? 1,
    truncation: 'disabled',
    usage: null,
    user: null,
    metadata: body.metadata ?? {},
  };
  const promptTokens = countResponsesPrompt(count, body);
  const finish = (item, extraTokens) => {
    const r = reported(step, promptTokens, outputTokens + extraTokens);
    const final = { ...base, status: truncated ? 'incomplete' : 'completed', output: [item] };
    if (truncated) final.incomplete_details = { reason: 'max_output_tokens' };
    if (r) final.usage = responsesUsage(r);
    else delete final.usage;
    return final;
  };
  const done = call ? functionItem(ids, call, 'completed') : messageItem(ids, replyText(produced), truncated ? 'incomplete' : 'completed');
  if (body.stream === true) return pump(args, responseFrames(base, ids, done, call, produced, step, finish));
  return sendJson(args.res, args.status, args.headers, finish(done, 0));
}

function outputText(text) {
  return { type: 'output_text', annotations: [], logprobs: [], text };
}

function messageItem(ids, text, status) {
  return { id: ids.item, type: 'message', status, content: text === undefined ? [] : [outputText(text)], role: 'assistant' };
}

function functionItem(ids, call, status) {
  return { id: ids.item, type: 'function_call', status, arguments: status === 'completed' ? call.arguments : '', call_id: ids.call, name: call.name };
}

function sseEvent(type, sequence, fields) {
  return `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: sequence, ...fields })}\n\n`;
}

function* responseFrames(base, ids, done, call, produced, step, finish) {
  let sequence = 0;
  const event = (type, fields) => sseEvent(type, sequence++, fields);
  const at = { item_id: ids.item, output_index: 0 };
  const textAt = { ...at, content_index: 0 };

  yield event('response.created', { response: base });
  yield event('response.in_progress', { response: base });
  if (call) {
    yield event('response.output_item.added', { output_index: 0, item: functionItem(ids, call, 'in_progress') });
    for (const piece of pieces(call.arguments, 8)) yield event('response.function_call_arguments.delta', { ...at, delta: piece });
    yield event('response.function_call_arguments.done', { ...at, name: call.name, arguments: call.arguments });
    yield event('response.output_item.done', { output_index: 0, item: done });
    yield event('response.completed', { response: finish(done, 0) });
    return;
  }
  yield event('response.output_item.added', { output_index: 0, item: messageItem(ids, undefined, 'in_progress') });
  yield event('response.content_part.added', { ...textAt, part: outputText('') });
  for (let t = 0; step.neverEnd || t < produced; t++) yield event('response.output_text.delta', { ...textAt, delta: word(t), logprobs: [] });
  let text = replyText(produced);
  let extra = 0;
  if (step.hugeEventBytes > 0) {
    const overhead = Buffer.byteLength(sseEvent('response.output_text.delta', sequence, { ...textAt, delta: '', logprobs: [] }));
    extra = Math.max(1, Math.floor((step.hugeEventBytes - overhead) / FILLER.length));
    const filler = FILLER.repeat(extra);
    text += filler;
    yield event('response.output_text.delta', { ...textAt, delta: filler, logprobs: [] });
  }
  const item = { ...done, content: [outputText(text)] };
  yield event('response.output_text.done', { ...textAt, text, logprobs: [] });
  yield event('response.content_part.done', { ...textAt, part: outputText(text) });
  yield event('response.output_item.done', { output_index: 0, item });
  const final = finish(item, extra);
  yield event(final.status === 'incomplete' ? 'response.incomplete' : 'response.completed', { response: final });
}

const ENDPOINTS = {
  '/v1/chat/completions': chatCompletions,
  '/v1/embeddings': embeddings,
  '/v1/responses': responses,
};

// ---------------------------------------------------------------------------------------------
// As a script: a standalone upstream for benchmarks.

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const arg = (name) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  const port = arg('port');
  const approx = process.argv.includes('--approx-tokens');
  const fake = await startFakeOpenAi({ port: port === undefined ? 0 : Number(port), apiKey: arg('api-key'), record: false, approxTokens: approx });
  console.log(`LISTENING ${fake.port}`);
}
