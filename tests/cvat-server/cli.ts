// `npm run cvat-server -- --port 8080 --data DIR [--version 2.80.0] [--seed N] [--host 127.0.0.1]
//   [--tls self-signed|ca] [--ca-out FILE]`
import { writeFileSync } from 'node:fs';
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
    tls: { type: 'string' },
    'ca-out': { type: 'string' },
  },
});

const tls = values.tls;
if (tls !== undefined && tls !== 'self-signed' && tls !== 'ca') {
  console.error(`--tls must be self-signed or ca, not "${tls}"`);
  process.exit(2);
}

const server = await startCvatServer({
  host: values.host,
  port: Number(values.port),
  dataDir: values.data,
  version: values.version,
  seed: values.seed === undefined ? undefined : Number(values.seed),
  processingDelayMs:
    values['processing-delay'] === undefined ? undefined : Number(values['processing-delay']),
  rangeSupport: !values['no-range'],
  ...(tls ? { tls: { kind: tls } } : {}),
});
const certs = server.certificates;
if (certs) {
  console.log(`https certificate (${tls}): ${certs.fingerprint}`);
  if (certs.caPem && values['ca-out']) {
    writeFileSync(values['ca-out'], certs.caPem);
    console.log(`test CA written to ${values['ca-out']} (cvat-sync --ca-file ${values['ca-out']})`);
  } else if (certs.caPem) console.log(`test CA:\n${certs.caPem}`);
}

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
