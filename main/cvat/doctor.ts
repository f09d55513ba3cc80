// Server doctor: checks the whole path from this machine to CVAT, including the reverse proxy in
// front of it, and names the fix for each problem. The checks are a table (doctor-checks.ts) run
// here in order over one probe transport (doctor-transport.ts); the probes touch no real data.
import type { DoctorFinding } from '../model/index.js';
import type { CvatAuth } from './api.js';
import { DOCTOR_CHECKS } from './doctor-checks.js';
import type { DoctorRun } from './doctor-checks.js';
import { ProbeTransport } from './doctor-transport.js';
import { normaliseServer } from './http.js';
import type { NetStack } from './net-stack.js';

export type { DoctorFinding };

export interface DoctorOptions {
  server: string;
  auth: CvatAuth | null;
  org?: string | null;
  /** Per request. */
  timeoutMs?: number;
  /** The largest request body we will send (bulk batch or TUS chunk); default 100 MiB. */
  probeBodyBytes?: number;
  /** The configured TUS chunk size, checked against the server's own chunk limit. */
  chunkBytes?: number;
  /** How long the size probe waits for a proxy's early answer. */
  sizeProbeWaitMs?: number;
  userAgent?: string;
  /** Proxy and certificate trust, as the client uses them. */
  net?: NetStack;
}

const DEFAULT_PROBE_BYTES = 100 * 1024 * 1024;

export async function runDoctor(options: DoctorOptions): Promise<DoctorFinding[]> {
  let server: string;
  try {
    server = normaliseServer(options.server);
  } catch {
    return [
      {
        id: 'reachable',
        title: 'Server address',
        status: 'fail',
        detail: `"${options.server}" is not an http:// or https:// URL.`,
        fix: 'Use the address you open CVAT with in a browser, e.g. https://cvat.example.com.',
      },
    ];
  }
  const probe = new ProbeTransport(server, {
    auth: options.auth,
    timeoutMs: options.timeoutMs ?? 10_000,
    ...(options.userAgent !== undefined ? { userAgent: options.userAgent } : {}),
    ...(options.net ? { net: options.net } : {}),
  });
  // The desktop app's OS proxy is resolved per origin before the first request.
  await probe.net.prepare(server).catch(() => undefined);
  const run: DoctorRun = {
    server,
    options,
    probe,
    org: options.org ?? null,
    probeBytes: Math.max(1, options.probeBodyBytes ?? DEFAULT_PROBE_BYTES),
    version: '',
    parsedVersion: null,
    selfBody: '',
    readOnly: false,
    uploadPath: '',
  };
  const findings: DoctorFinding[] = [];
  for (const [index, check] of DOCTOR_CHECKS.entries()) {
    const outcome = await check.run(run, check);
    findings.push(...outcome.findings);
    const stop = outcome.stop;
    if (!stop) continue;
    // The checks that did not run are listed as skipped, with the reason.
    for (const skipped of DOCTOR_CHECKS.slice(stop.skipSelf ? index : index + 1))
      findings.push({
        id: skipped.id,
        title: skipped.title,
        status: 'skipped',
        detail: stop.reason,
      });
    break;
  }
  return findings;
}
