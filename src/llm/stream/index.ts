export { SseEventTooLargeError, SseParser } from './sse-parser.js';
export type { SseEvent } from './sse-parser.js';
export { ChatStreamTap } from './chat-stream-tap.js';
export type { ChatTapVerdict } from './chat-stream-tap.js';
export { ResponsesStreamTap } from './responses-stream-tap.js';
export type { ResponsesTapVerdict } from './responses-stream-tap.js';
export { chatCompletionToSse, responseToSse } from './replay.js';
export type { ReplayOptions } from './replay.js';
