// `npm run cvat-server -- --port 8080 --data DIR [--version 2.80.0] [--seed N] [--host 127.0.0.1]`
import { parseArgs } from 'node:util';
import { DEFAULT_VERSION, startCvatServer } from './index.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '8080' },
    host: { type: 'string', default: '127.0.0.1' },
    data: { type: 'string' },
    version: { type: 'string', default: DEFAULT_VERSION },
    seed: { type: 'string' },
    'processing-delay': { type: 'string' },
    'no-range': { type: 'boolean', default: false },
  },
});

const server = await startCvatServer({
  host: values.host,
  port: Number(values.port),
  dataDir: values.data,
  version: values.version,
  seed: values.seed === undefined ? undefined : Number(values.seed),
  processingDelayMs:
    values['processing-delay'] === undefined ? undefined : Number(values['processing-delay']),
  rangeSupport: !values['no-range'],
});

const { alice, bob } = server.users;
console.log(`CVAT test server (emulating ${values.version}) listening on ${server.url}`);
console.log(`data: ${values.data ?? '(temporary, removed on exit)'}`);
for (const u of [alice, bob])
  console.log(`  user ${u.username} / ${u.password}  PAT ${u.token}  key ${u.key}`);
console.log(`\nexport CVAT_SERVER=${server.url} CVAT_ACCESS_TOKEN=${alice.token}`);
console.log(`test controls: ${server.url}/_test/ (see tests/cvat-server/README.md)`);

const stop = () => {
  void server.close().then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
