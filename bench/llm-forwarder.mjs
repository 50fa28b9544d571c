// Which HTTP client the LLM proxy forwards with: the `openai` package against a plain undici
// request on a keep-alive pool, each sending the same chat request to the fake provider (in
// its own process) one at a time. Prints the CPU each costs per call in this process.
//
//   node bench/llm-forwarder.mjs [--calls 3000]
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import OpenAI from 'openai';
import { Pool } from 'undici';
import { machine, REPO } from './lib.mjs';

const calls = Number(process.argv[process.argv.indexOf('--calls') + 1]) || 3000;
const fake = spawn(process.execPath, [`${REPO}bench/fake-openai.mjs`, '--port=0'], { stdio: ['ignore', 'pipe', 'inherit'] });
const [line] = await once(fake.stdout, 'data');
const port = Number(/LISTENING (\d+)/.exec(String(line))[1]);
const body = { model: 'gpt-4o-mini', messages: [{ role: 'system', content: 'You are terse.' }, { role: 'user', content: 'Say hello.' }] };

const openai = new OpenAI({ apiKey: 'sk-bench', baseURL: `http://127.0.0.1:${port}/v1`, maxRetries: 0 });
const pool = new Pool(`http://127.0.0.1:${port}`, { connections: 1, pipelining: 1 });
const text = JSON.stringify(body);

const clients = {
  openai: async () => {
    const r = await openai.chat.completions.create(body);
    return r.usage.total_tokens;
  },
  undici: async () => {
    const r = await pool.request({ method: 'POST', path: '/v1/chat/completions', headers: { 'content-type': 'application/json', authorization: 'Bearer sk-bench' }, body: text });
    const j = JSON.parse(await r.body.text());
    return j.usage.total_tokens;
  },
};

async function measure(name) {
  const run = clients[name];
  for (let i = 0; i < 300; i++) await run();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < calls; i++) await run();
  const cpu = process.cpuUsage(cpu0);
  const ms = performance.now() - t0;
  return { name, cpuUsPerCall: (cpu.user + cpu.system) / calls, wallUsPerCall: (ms * 1000) / calls };
}

console.log(`# LLM forwarder choice: ${machine()}, ${calls} sequential calls each`);
const rows = [];
for (let round = 0; round < 2; round++) for (const name of ['openai', 'undici']) rows.push(await measure(name));
console.log('| client | round | CPU µs/call (this process) | wall µs/call |\n|---|---:|---:|---:|');
rows.forEach((r, i) => console.log(`| ${r.name} | ${Math.floor(i / 2) + 1} | ${r.cpuUsPerCall.toFixed(0)} | ${r.wallUsPerCall.toFixed(0)} |`));
await pool.close();
fake.kill();
