import { ConfigError, loadConfig } from './config/index.ts';
import { startGateway } from './gateway.ts';
import { createLogger } from './shared/index.ts';

/** `npm start`: run the gateway until SIGTERM/SIGINT, then shut down gracefully. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw e;
  }
  const logger = createLogger({ level: config.logLevel });
  process.on('unhandledRejection', (reason) => { logger.error('process.unhandled-rejection', { err: reason }); });
  try {
    const gateway = await startGateway(config, logger);
    const stop = (signal: string) => {
      logger.info('process.signal', { signal });
      gateway.close().then(() => process.exit(0), (err: unknown) => {
        logger.error('gateway.stop-failed', { err });
        process.exit(1);
      });
    };
    process.once('SIGTERM', () => { stop('SIGTERM'); });
    process.once('SIGINT', () => { stop('SIGINT'); });
  } catch (err) {
    logger.error('gateway.start-failed', { err });
    process.exitCode = 1;
    // Give winston a moment to flush before leaving.
    setTimeout(() => process.exit(1), 100).unref();
  }
}

await main();
