// Preloaded into the gateway by `bench/mcp-call.mjs --profile` (NODE_OPTIONS=--import ..., since
// Node 20 refuses --cpu-prof there): the first SIGUSR2 starts the inspector's sampling profiler
// on the main thread, so start-up and warm-up stay out of the profile; at exit the profile is
// written into $WARDEN_BENCH_PROFILE_DIR.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';

const dir = process.env.WARDEN_BENCH_PROFILE_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 200 });
  process.once('SIGUSR2', () => session.post('Profiler.start'));
  // An in-thread session answers synchronously, so this completes inside the exit handler.
  process.on('exit', () => {
    session.post('Profiler.stop', (err, res) => {
      if (!err && res.profile) writeFileSync(join(dir, `gateway.${process.pid}.cpuprofile`), JSON.stringify(res.profile));
    });
  });
}
