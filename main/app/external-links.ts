// Which URLs may leave the app for the user's browser: only http(s) pages of the CVAT server
// the user signed in to, and the documentation sites the app links to. Everything else stays
// closed, so a compromised renderer cannot use the browser as a launcher.

/** Documentation the app links to (CVAT's docs, for the server fixes the doctor suggests). */
export const DOCS_ORIGINS: readonly string[] = ['https://docs.cvat.ai'];

function originOf(url: string): string | null {
  try {
    const u = new URL(url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return null;
    return u.origin;
  } catch {
    return null;
  }
}

/** The origins links may open: the configured CVAT server (when there is one) and the docs. */
export function allowedExternalOrigins(cvatServer: string | null): string[] {
  const origins = [...DOCS_ORIGINS];
  const server = cvatServer === null ? null : originOf(cvatServer);
  if (server !== null) origins.push(server);
  return origins;
}

/** True when `url` is an http(s) URL without credentials whose origin is in `origins`. */
export function isAllowedExternalUrl(url: string, origins: readonly string[]): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return false;
  if (u.username !== '' || u.password !== '') return false;
  return origins.includes(u.origin);
}
