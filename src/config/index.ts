export { loadConfig, ConfigError, SETTINGS, DEV_TOKEN_SIGNING_SECRET } from './config.ts';
export type { Config, DeliverySettings, NodeEnv, Setting } from './config.ts';
