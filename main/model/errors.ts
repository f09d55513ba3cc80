// Errors and results as every boundary carries them: the contract, the CLI's JSON output and
// the engine's recorded failures (core/errors.ts turns a SyncError into a ContractError).

export interface ContractError {
  code: string;
  kind: 'fatal' | 'item' | 'transient';
  message: string;
  retryable: boolean;
  /** One-line suggested fix, shown next to the message. */
  hint?: string;
  status?: number;
  /** The server certificate an untrusted or changed TLS peer presented (the trust dialog). */
  certificate?: CertificateInfo;
}

/** A server certificate as the trust dialog and `login` show it. */
export interface CertificateInfo {
  subject: string;
  issuer: string;
  /** ISO 8601. */
  validFrom: string;
  validTo: string;
  /** `SHA256:AB:CD:…`, the form `login --trust-fingerprint` takes. */
  fingerprint: string;
  /** The names the certificate is for ("DNS:cvat.lan, IP Address:10.0.0.5"). */
  altNames: string;
}

/** Every contract method answers one of these; it never throws across the boundary. */
export type Result<T> = { ok: true; value: T } | { ok: false; error: ContractError };
