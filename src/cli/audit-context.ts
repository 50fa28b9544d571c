import { auditDbPath } from '../data-paths.js';
import { CONFIG_OPTIONS, configFrom, type Io } from './common.js';

const VALUE_FLAGS = new Set(['--config', '-c', '--data-dir', '--catalog', '--imports', '--host', '--port']);

/**
 * Splits the configuration flags (which locate the data dir) from the audit verb's own
 * flags, so `warden audit verify --config x.yaml` works like every other verb.
 */
export async function auditContext(argv: string[], io: Io) {
  const own: string[] = [];
  const cfg: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const eq = a.indexOf('=');
    const flag = eq > 0 ? a.slice(0, eq) : a;
    if (VALUE_FLAGS.has(flag)) {
      const value = eq > 0 ? a.slice(eq + 1) : argv[++i];
      const name = flag === '-c' ? 'config' : flag.slice(2);
      if (value !== undefined && name in CONFIG_OPTIONS) cfg[name] = value;
    } else own.push(a);
  }
  const config = await configFrom(cfg);
  return {
    argv: own,
    ctx: { dbPath: auditDbPath(config.dataDir), out: io.out, err: io.err, durability: config.audit.durability, config },
  };
}
