import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { LlmConfigSchema } from '../config/llm-schema.js';
import { Egress } from '../egress/egress.js';
import { createLlm } from './create-llm.js';
import { sharedTokenizer } from './tokens/tokenizer-thread.js';

const quiet = pino({ level: 'silent' });
const egress = new Egress({ log: quiet });
afterAll(() => egress.close());

describe('createLlm', () => {
  // Test files run in their own module graph: nothing else here has started the tokenizer thread.
  it('preloads, on the tokenizer thread, the encodings of the configured models only', async () => {
    const config = LlmConfigSchema.parse({
      providers: [{ id: 'local', baseUrl: 'http://127.0.0.1:1/v1', internal: true, models: [{ name: 'gpt-4o-mini' }, { name: 'llama3' }] }],
    });
    await createLlm(config, egress, quiet, { baseDir: process.cwd(), file: 'warden.yaml' });
    const thread = sharedTokenizer();
    const deadline = Date.now() + 10_000;
    while (!(await thread.loaded()).includes('o200k_base') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(await thread.loaded()).toContain('o200k_base');
    // A second encoding preloaded with it would have finished by now (it takes 70 to 130 ms).
    await new Promise((r) => setTimeout(r, 500));
    expect(await thread.loaded()).toEqual(['o200k_base']);
  });
});
