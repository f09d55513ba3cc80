// Who we are signed in as, where, and what the doctor thinks of the server.
import type {
  ConnectionInfo,
  ContractError,
  DoctorFinding,
  Organization,
  SignInRequest,
  SyncBridge,
} from '../../../preload/contract.js';

export const DEFAULT_SERVER = 'https://app.cvat.ai';

function identity(c: ConnectionInfo | null): string {
  return c?.state === 'connected' ? `${c.server}|${c.username}|${c.org ?? ''}` : '';
}

export class ConnectionState {
  info = $state<ConnectionInfo | null>(null);
  /** Error of the last action taken from the Connect view (sign in, organization, doctor). */
  error = $state<ContractError | null>(null);
  busy = $state(false);
  orgs = $state<Organization[] | null>(null);
  findings = $state<DoctorFinding[] | null>(null);
  doctorRunning = $state(false);

  readonly connected = $derived(this.info?.state === 'connected');

  /** `onaccount` runs when we become connected as a different server, user or organization. */
  constructor(
    private readonly bridge: SyncBridge,
    private readonly onaccount: () => void = () => {},
  ) {}

  apply(info: ConnectionInfo): void {
    const before = identity(this.info);
    this.info = info;
    if (identity(info) !== before && info.state === 'connected') {
      void this.loadOrgs();
      this.onaccount();
    }
    if (info.state === 'signed-out') {
      this.orgs = null;
      this.findings = null;
    }
  }

  async refresh(): Promise<void> {
    const r = await this.bridge.getConnection();
    if (r.ok) this.apply(r.value);
    else this.error = r.error;
  }

  async signIn(request: SignInRequest): Promise<boolean> {
    this.busy = true;
    this.error = null;
    const r = await this.bridge.signIn(request);
    this.busy = false;
    if (!r.ok) {
      this.error = r.error;
      return false;
    }
    this.apply(r.value);
    if (r.value.state !== 'connected' && r.value.error) {
      this.error = r.value.error;
      return false;
    }
    return true;
  }

  async signOut(): Promise<void> {
    this.busy = true;
    const r = await this.bridge.signOut();
    this.busy = false;
    if (r.ok) this.apply(r.value);
    else this.error = r.error;
  }

  async loadOrgs(): Promise<void> {
    const r = await this.bridge.listOrganizations();
    if (r.ok) this.orgs = r.value;
    else this.error = r.error;
  }

  async setOrganization(org: string | null): Promise<void> {
    this.busy = true;
    const r = await this.bridge.setOrganization({ org });
    this.busy = false;
    if (r.ok) {
      this.error = null;
      this.apply(r.value);
    } else this.error = r.error;
  }

  async runDoctor(): Promise<void> {
    this.doctorRunning = true;
    const r = await this.bridge.runDoctor();
    this.doctorRunning = false;
    if (r.ok) this.findings = r.value;
    else this.error = r.error;
  }
}
