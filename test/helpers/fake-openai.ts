/**
 * The fake OpenAI-compatible upstream for LLM proxy tests. The implementation is plain JS in
 * bench/ so the benchmarks run the very same server; this module gives tests its types.
 */
export { startFakeOpenAi, encodingNameFor, countChatPrompt } from '../../bench/fake-openai.mjs';
export type { FakeOpenAi, FakeOpenAiOptions, FakeStep, RecordedRequest } from '../../bench/fake-openai.mjs';
