// Removes secrets by their shape from free text: logs, error messages, body excerpts of HTTP
// answers and the debug archive. Key-name redaction misses a secret inside a string (a server
// that echoes our Authorization header into its error page, a URL with a token in its query or
// a password in its user info), so every text that leaves the process passes through here.

export const REDACTED = '[redacted]';

/** Header names whose whole value is a credential. */
const AUTH_HEADER =
  /\b((?:proxy-)?authorization|x-api-key|(?:set-)?cookie)(["']?\s*[:=]\s*["']?)[^\r\n"']*/gi;
/** A credential after its scheme, wherever it appears ("Token abc…", "Bearer eyJ…"). */
const SCHEME_SHAPED = /\b(Bearer|Token|Basic|Digest)\s+([A-Za-z0-9._~+/=-]{8,})/g;
/** Query or form parameters and cookies that carry a secret: token=…, sessionid=…. */
const SECRET_PARAM =
  /\b(token|access_token|refresh_token|auth_token|api_key|apikey|password|passwd|secret|sessionid|csrftoken|csrfmiddlewaretoken)=([^\s&;#"',]+)/gi;
/** Names that are also ordinary words ("exit code=1"): only a long, random-looking value. */
const SECRET_PARAM_LONG = /\b(key|code|sig|signature)=([A-Za-z0-9._~+/%-]{16,})/gi;
/** A credential given on a command line quoted in a message: --auth USER:PASS, --password X. */
const SECRET_ARG = /(--(?:auth|password|token|access-token)(?:=|\s+))\S+/gi;
/** JSON text such as {"token": "abc"}; only values without spaces (messages are kept). */
const SECRET_JSON =
  /"(token|access_token|key|api_key|password|secret|sessionid|csrftoken|authorization)"(\s*:\s*)"([^"\s]+)"/gi;
/** The user info of a URL: http://user:pass@host. */
const URL_USERINFO = /(\/\/)[^\s/?#@]+@/g;

export function scrubSecrets(text: string): string {
  return text
    .replace(URL_USERINFO, `$1${REDACTED}@`)
    .replace(AUTH_HEADER, (_m, name: string, sep: string) => `${name}${sep}${REDACTED}`)
    .replace(SCHEME_SHAPED, (m: string, scheme: string, credential: string) =>
      // "Basic authentication" is prose; credentials carry digits or are long.
      /\d/.test(credential) || credential.length >= 20 ? `${scheme} ${REDACTED}` : m,
    )
    .replace(SECRET_PARAM, (_m, name: string) => `${name}=${REDACTED}`)
    .replace(SECRET_PARAM_LONG, (_m, name: string) => `${name}=${REDACTED}`)
    .replace(SECRET_ARG, (_m, flag: string) => `${flag}${REDACTED}`)
    .replace(SECRET_JSON, (_m, name: string, sep: string) => `"${name}"${sep}"${REDACTED}"`);
}

/** Strings anywhere in a JSON-like value scrubbed; other values unchanged. */
export function scrubDeep(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return scrubSecrets(value);
  if (depth > 20 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => scrubDeep(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>))
    out[k] = scrubDeep(v, depth + 1);
  return out;
}
