// One Content-Security-Policy for every response the renderer receives. Svelte 5 builds need no
// 'unsafe-inline': vite emits CSS as files, and Svelte sets dynamic styles through the CSSOM
// (element.style), which CSP does not govern. Task previews arrive as data: URLs.

type Headers = Record<string, string[] | string>;

/**
 * A session.webRequest.onHeadersReceived listener adding the policy (and dropping any other).
 * The policy is written as a literal inside the callback so security scanners can read it.
 */
export function applyContentSecurityPolicy(
  details: { responseHeaders?: Headers },
  callback: (response: { responseHeaders: Headers }) => void,
): void {
  const others = Object.fromEntries(
    Object.entries(details.responseHeaders ?? {}).filter(
      ([name]) => name.toLowerCase() !== 'content-security-policy',
    ),
  );
  // CSP_GLOBAL_CHECK reads 'self' as "maybe weak" because a web origin may also host JSONP or
  // user uploads; app://cvat-sync serves only our own build output, so 'self' is exact here.
  callback({
    /* eng-disable CSP_GLOBAL_CHECK */ responseHeaders: {
      ...others,
      'Content-Security-Policy': [
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-src 'none'; frame-ancestors 'none'; worker-src 'none'",
      ],
    },
  });
}

/** The same policy as a header value, read back from the listener so it is written once. */
export const CONTENT_SECURITY_POLICY: string = (() => {
  let policy = '';
  applyContentSecurityPolicy({}, ({ responseHeaders }) => {
    const value = responseHeaders['Content-Security-Policy'];
    policy = Array.isArray(value) ? (value[0] ?? '') : (value ?? '');
  });
  return policy;
})();
