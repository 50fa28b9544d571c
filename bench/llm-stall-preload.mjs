// Preloaded into Warden by `bench/llm-call.mjs --diagnose-stalls` (NODE_OPTIONS=--import ...):
// samples allocations from the start (V8's sampling heap profiler keeps only samples whose
// objects are still alive, so it shows what accumulates); on SIGUSR2 also samples the main
// thread's CPU for $WARDEN_BENCH_STALL_MS (default 4000), then writes stall.cpuprofile,
// stall.heapprofile and stall.memory.json into $WARDEN_BENCH_PROFILE_DIR. Written from a
// timer, not at exit: a stalled gateway may never exit cleanly.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';

const dir = process.env.WARDEN_BENCH_PROFILE_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  const post = (method, params = {}) =>
    new Promise((resolve, reject) => session.post(method, params, (err, res) => (err ? reject(err) : resolve(res))));
  const heapSampling = post('HeapProfiler.enable').then(() => post('HeapProfiler.startSampling', { samplingInterval: 256 * 1024 }));
  let started = false;
  // `on`, not `once`: a second signal must not fall back to SIGUSR2's default, which kills the process.
  process.on('SIGUSR2', async () => {
    if (started) return;
    started = true;
    await heapSampling;
    await post('Profiler.enable');
    await post('Profiler.setSamplingInterval', { interval: 500 });
    await post('Profiler.start');
    setTimeout(async () => {
      const { profile } = await post('Profiler.stop');
      writeFileSync(join(dir, 'stall.cpuprofile'), JSON.stringify(profile));
      const heap = await post('HeapProfiler.getSamplingProfile');
      writeFileSync(join(dir, 'stall.heapprofile'), JSON.stringify(heap.profile));
      const mem = process.memoryUsage();
      writeFileSync(join(dir, 'stall.memory.json'), JSON.stringify(mem));
    }, Number(process.env.WARDEN_BENCH_STALL_MS ?? 4000)).unref();
  });
}
