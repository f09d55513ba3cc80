// How Django writes a response header value (django/http/response.py,
// ResponseHeaders._convert_to_charset with mime_encode=True): Latin-1 text goes out as is;
// anything else becomes `Header(value, "utf-8", maxlinelen=sys.maxsize).encode()`, one RFC 2047
// encoded word. Python's utf-8 charset uses the SHORTEST header encoding (email/charset.py):
// base64 only when it is strictly shorter than quoted-printable.

const QP_SAFE = /[-!*+/A-Za-z0-9]/;

export function djangoHeaderValue(value: string): string {
  if (![...value].some((c) => (c.codePointAt(0) ?? 0) > 0xff)) return value;
  const bytes = Buffer.from(value, 'utf8');
  const b64 = bytes.toString('base64');
  let qp = '';
  for (const byte of bytes) {
    const c = String.fromCharCode(byte);
    if (byte < 0x80 && QP_SAFE.test(c)) qp += c;
    else if (c === ' ') qp += '_';
    else qp += `=${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return b64.length < qp.length ? `=?utf-8?b?${b64}?=` : `=?utf-8?q?${qp}?=`;
}
