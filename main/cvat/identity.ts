// Who and what answers: sign-in, the server's about record, the current user and token, the
// user's organizations, and why a token was refused.
import type { SyncError } from '../core/errors.js';
import { isSyncError } from '../core/errors.js';
import type { AbortSignalLike } from '../core/signal.js';
import type { AccessTokenInfo, CvatUser, ServerAbout, ServerVersion } from './api.js';
import { getJson, rehint, sig } from './client-context.js';
import type { Transport } from './http.js';
import { parseJson } from './http.js';
import type { ListSpec } from './paging.js';
import {
  aboutSchema,
  accessTokenSchema,
  loginSchema,
  organizationSchema,
  parseWith,
  userSchema,
} from './schemas.js';
import { PAT_SINCE, versionAtLeast } from './version.js';

export const ORGANIZATION_LIST: ListSpec<typeof organizationSchema> = {
  operation: 'list organizations',
  path: '/api/organizations',
  item: organizationSchema,
  org: false,
};

/** POST /api/auth/login: the legacy API key for `Authorization: Token`. */
export async function signIn(
  transport: Transport,
  username: string,
  password: string,
  signal?: AbortSignalLike,
): Promise<string> {
  try {
    const reply = await transport.call({
      operation: 'sign in',
      method: 'POST',
      path: '/api/auth/login',
      json: { username, password },
      ...sig(signal),
    });
    return parseWith(loginSchema, parseJson(reply, 'sign in'), 'sign in', reply.url).key;
  } catch (e) {
    // Wrong credentials are a 400 with non_field_errors: the user has to act, as for a 401.
    if (isSyncError(e) && e.status === 400) {
      throw rehint(e, { code: 'auth', kind: 'fatal', hint: 'Check the user name and password.' });
    }
    throw e;
  }
}

export function about(transport: Transport, signal?: AbortSignalLike): Promise<ServerAbout> {
  return transport.json(
    {
      operation: 'get server info',
      method: 'GET',
      path: '/api/server/about',
      anonymous: true,
      ...sig(signal),
    },
    aboutSchema,
  );
}

export function self(transport: Transport, signal?: AbortSignalLike): Promise<CvatUser> {
  return getJson(transport, 'get current user', '/api/users/self', userSchema, signal);
}

export function accessToken(
  transport: Transport,
  signal?: AbortSignalLike,
): Promise<AccessTokenInfo> {
  return getJson(
    transport,
    'get access token',
    '/api/auth/access_tokens/self',
    accessTokenSchema,
    signal,
  );
}

/** A 401 for a token on a server older than personal access tokens says so. */
export function explainTokenRefusal(error: SyncError, version: ServerVersion): SyncError {
  if (versionAtLeast(version, PAT_SINCE)) return error;
  return rehint(error, {
    code: 'pat-unsupported',
    message: `This CVAT server (${version.raw}) does not accept personal access tokens; they arrived in CVAT 2.48.`,
    hint: 'Sign in with your user name and password instead of a token.',
  });
}
