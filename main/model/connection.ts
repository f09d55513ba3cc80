// The connection to a CVAT server and what the doctor found about it.
import type { ContractError } from './errors.js';

export type AuthMethod = 'token' | 'password';

export interface ConnectionInfo {
  state: 'signed-out' | 'connecting' | 'connected' | 'offline' | 'auth-failed';
  server: string | null;
  username: string | null;
  /** Organization slug; null or '' = personal workspace. */
  org: string | null;
  serverVersion: string | null;
  authMethod: AuthMethod | null;
  /** Where the credentials are kept: the OS keychain, an owner-only file, or memory only. */
  credentialStore: 'keychain' | 'file' | 'memory' | null;
  error: ContractError | null;
}

export interface SignInRequest {
  server: string;
  method: AuthMethod;
  token?: string;
  username?: string;
  password?: string;
  org?: string | null;
  /** Trust this certificate (SHA256:…) for this server, as the user confirmed in the dialog. */
  trustFingerprint?: string;
}

export interface Organization {
  id: number;
  slug: string;
  name: string;
}

export interface DoctorFinding {
  id: string;
  title: string;
  status: 'ok' | 'warn' | 'fail' | 'skipped';
  detail: string;
  /** What to change when the status is not ok. */
  fix?: string;
}
