import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { hashSecret, issueAccessToken, loadClients } from './auth/index.ts';
import { ConfigError, loadConfig } from './config/index.ts';
import { runDemoCommand } from './demo/index.ts';
import { runResponsibilityExplain } from './responsibility/index.ts';
import { systemClock } from './shared/index.ts';
import { localGatewayUrl, runDeadlineCommand, runTimelinessImport } from './timeliness/index.ts';

const USAGE = `Usage: sektorbro <command>

Commands:
  start                       run the gateway (same as npm start)
  worker                      run the background worker (queue consumer) beside the gateway
  token <client-id> [--scope "system/*.rs"]
                              print an access token for a configured client (one line, the token only)
  hash-secret <secret>        print the secretHash to put in CLIENTS_FILE for a client secret
  deadline --discharged <ISO 8601> [--sent <ISO 8601>] [--calendar dk-strict|dk-public] [--rule <spec>]
                              print the epikrise deadline (and, with --sent, whether it was met) as one JSON line
  responsibility explain --events <file.json> --at <ISO 8601> [--region <id>] [--rules <file.json>]
                              print who holds treatment responsibility (behandlingsansvar) at --at, and why, as JSON
  timeliness import <file.csv>
                              load past discharge and send times from an EHR export into the timeliness indicator
                              (all rows or none; exit 65 listing the bad rows); with PGlite, stop the gateway first
  demo [--days 90] [--per-day 12] [--seed 1] [--until <ISO 8601>]
                              fill the configured storage with synthetic traffic through the real gateway on a
                              simulated clock, so /quality shows something on first start; stop the gateway first
`;

/** A pure command's result, written out. */
function emit(result: { code: number; stdout: string; stderr: string }): number {
  process.stdout.write(result.stdout);
  process.stderr.write(result.stderr);
  return result.code;
}

/** Writes to stdout/stderr are the CLI's output; everything else goes through the logger. */
async function run(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'start':
    case 'serve':
      await import('./main.ts');
      return -1; // keep running
    case 'worker':
      await import('./worker.ts');
      return -1;
    case 'token': {
      const { positionals, values } = parseArgs({ args: rest, allowPositionals: true, options: { scope: { type: 'string' } } });
      const clientId = positionals[0];
      if (!clientId) {
        process.stderr.write(USAGE);
        return 64;
      }
      const config = loadConfig(process.env);
      const clients = loadClients({ clientsFile: config.auth.clientsFile, demoClients: config.auth.demoClients, production: config.nodeEnv === 'production' });
      const client = clients.get(clientId);
      if (!client) {
        process.stderr.write(`Unknown client "${clientId}". Configured clients: ${clients.list().map((c) => c.id).join(', ') || '(none)'}\n`);
        return 1;
      }
      const token = await issueAccessToken(client, values.scope, {
        secret: config.auth.tokenSigningSecret,
        ttlSeconds: config.auth.tokenTtlSeconds,
        issuer: config.publicBaseUrl,
        clock: systemClock,
      });
      process.stdout.write(`${token.access_token}\n`);
      return 0;
    }
    case 'hash-secret': {
      const secret = rest[0];
      if (!secret) {
        process.stderr.write(USAGE);
        return 64;
      }
      process.stdout.write(`${await hashSecret(secret)}\n`);
      return 0;
    }
    case 'deadline':
      return emit(runDeadlineCommand(rest));
    case 'responsibility': {
      const [sub, ...args] = rest;
      if (sub !== 'explain') {
        process.stderr.write(`Unknown responsibility command "${sub ?? ''}". Try: sektorbro responsibility explain --help\n`);
        return 64;
      }
      return emit(runResponsibilityExplain(args, (p) => readFileSync(p, 'utf8')));
    }
    case 'timeliness': {
      const [sub, ...args] = rest;
      if (sub !== 'import') {
        process.stderr.write(`Unknown timeliness command "${sub ?? ''}". Try: sektorbro timeliness import --help\n`);
        return 64;
      }
      const config = loadConfig(process.env);
      return runTimelinessImport(args, { settings: config.timeliness, storage: config.storage, gatewayUrl: localGatewayUrl(config.host, config.port), stderr: process.stderr });
    }
    case 'demo':
      return runDemoCommand(rest, { env: process.env, stdout: process.stdout, stderr: process.stderr });
    case undefined:
    case 'help':
    case '--help':
      process.stdout.write(USAGE);
      return command === undefined ? 64 : 0;
    default:
      process.stderr.write(`Unknown command "${command}".\n${USAGE}`);
      return 64;
  }
}

try {
  const code = await run(process.argv.slice(2));
  if (code >= 0) process.exitCode = code;
} catch (e) {
  process.stderr.write(`${e instanceof ConfigError || e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
}
