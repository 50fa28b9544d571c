import { startGateway } from '../app.js';
import { createLogger } from '../log/logger.js';
import { tuneGarbageCollector } from '../util/gc-tuning.js';
import { configFrom, parse, type Io } from './common.js';
import { START_HELP } from './help-texts.js';

/** Runs until a signal stops it; resolves with the process exit code. */
export async function startCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parse(argv, {}, false);
  if (values.help) {
    io.out.write(`${START_HELP}\n`);
    return 0;
  }
  tuneGarbageCollector();
  const config = await configFrom(values);
  const log = createLogger(config.log);
  log.info({ config: config.file ?? '(embedded defaults)', dataDir: config.dataDir, catalogDir: config.catalogDir, durability: config.audit.durability }, 'starting');
  const gateway = await startGateway(config, log);

  return new Promise<number>((resolve) => {
    let signals = 0;
    const onSignal = (sig: NodeJS.Signals) => {
      signals++;
      if (signals > 1) {
        // Committed audit records are safe (SQLite transactions); anything uncommitted was never acknowledged.
        log.warn({ signal: sig }, 'second signal: exiting at once');
        log.flush();
        process.exit(sig === 'SIGINT' ? 130 : 143);
      }
      gateway.stop(sig).then(
        () => {
          log.flush();
          resolve(0);
        },
        (err: unknown) => {
          log.error({ err }, 'error during shutdown');
          log.flush();
          resolve(1);
        },
      );
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}
