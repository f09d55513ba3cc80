// The one spelling of a CVAT server address that is stored, compared and shown: scheme, host,
// port and path, without a trailing slash. A user name or password in the URL
// (http://user:pass@host) is refused rather than kept: it would be saved in the profile, sent to
// the renderer and quoted in logs and the debug archive.

export type ServerUrlCheck =
  | { ok: true; url: string }
  | { ok: false; reason: 'scheme' | 'userinfo' | 'extra'; message: string; hint: string };

export function normalizeServerUrl(input: string): ServerUrlCheck {
  const text = input.trim();
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    return {
      ok: false,
      reason: 'scheme',
      message: 'The server URL is not a URL.',
      hint: 'Give the address you open CVAT at, e.g. https://cvat.example.com',
    };
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    return {
      ok: false,
      reason: 'scheme',
      message: `The server URL must start with http:// or https://, not ${u.protocol}//.`,
      hint: 'Give the address you open CVAT at, e.g. https://cvat.example.com',
    };
  }
  const hadUserinfo = u.username !== '' || u.password !== '';
  u.username = '';
  u.password = '';
  const url = `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, '')}`;
  if (hadUserinfo) {
    return {
      ok: false,
      reason: 'userinfo',
      message: `The server URL must not contain a user name or password: use ${url}`,
      hint: 'Sign in with a personal access token, or with the user name and password method (--auth USER on the command line); they are kept apart from the URL.',
    };
  }
  if (u.search !== '' || u.hash !== '') {
    return {
      ok: false,
      reason: 'extra',
      message: `The server URL must be the server's address only, without ?query or #fragment: use ${url}`,
      hint: 'Give the address you open CVAT at, e.g. https://cvat.example.com',
    };
  }
  return { ok: true, url };
}

/** For a URL saved before userinfo was refused: the same address with it removed. */
export function withoutUserinfo(url: string): string {
  try {
    const u = new URL(url);
    if (u.username === '' && u.password === '') return url;
    u.username = '';
    u.password = '';
    return u.toString().replace(/\/+$/, '');
  } catch {
    return url.replace(/\/\/[^/?#@]*@/, '//');
  }
}
