import { createMunicipalReceiver } from './receiver.ts';

/**
 * Runs the example municipal receiver against a running Sektorbro (`npm start`):
 *
 *   SECRET=<at least 16 characters> npx tsx examples/municipal-receiver/src/main.ts
 *
 * Settings come from the environment; see examples/municipal-receiver/README.md.
 */

const env = process.env;
const write = (line: Record<string, unknown>): void => {
  process.stdout.write(`${JSON.stringify({ at: new Date().toISOString(), ...line })}\n`);
};

function port(): number {
  const raw = env.PORT ?? '8090';
  const n = Number(raw);
  if (!/^\d{1,5}$/.test(raw) || n > 65_535) throw new Error(`PORT must be a port number, not "${raw}"`);
  return n;
}

const secret = env.SECRET;
if (secret === undefined || secret.length < 16) {
  write({ event: 'receiver.misconfigured', error: 'SECRET must be set, at least 16 characters: each subscription\'s signing secret is derived from it' });
  process.exit(2);
}

const receiver = createMunicipalReceiver({
  sektorbroUrl: env.SEKTORBRO_URL ?? 'http://localhost:8080',
  clientId: env.CLIENT_ID ?? 'demo-municipality',
  clientSecret: env.CLIENT_SECRET ?? 'demo-municipality-secret',
  port: port(),
  publicUrl: env.PUBLIC_URL,
  secret,
  stateFile: env.STATE_FILE ?? 'data/municipal-receiver/state.json',
  inboundToken: env.INBOUND_TOKEN,
  // The demo municipality of Sektorbro's demo clients and MedCom's examples.
  organization: { sor: env.ORG_SOR ?? '953741000016009', gln: env.ORG_GLN ?? '5790001348120', name: env.ORG_NAME ?? 'Herlev Kommune' },
  log: (event, detail) => {
    write({ event, ...detail });
  },
});

const shutdown = (): void => {
  receiver.stop().then(
    () => process.exit(0),
    (err: unknown) => {
      write({ event: 'receiver.stop-failed', error: err instanceof Error ? err.message : String(err) });
      process.exit(1);
    },
  );
};
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);

try {
  await receiver.start();
  write({ event: 'receiver.started', url: receiver.url, subscriptions: receiver.subscriptionIds });
} catch (err) {
  write({ event: 'receiver.start-failed', error: err instanceof Error ? err.message : String(err) });
  process.exit(1);
}
