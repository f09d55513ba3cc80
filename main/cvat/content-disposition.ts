// The file name of a download, from Content-Disposition (RFC 6266; filename* per RFC 5987 wins).
// The raw name is returned: making it safe for the local disk is the download manager's job.

export function dispositionFilename(header: string | null | undefined): string | null {
  if (!header) return null;
  const params = parseParams(header);
  const extended = params.get('filename*');
  if (extended !== undefined) {
    const decoded = decodeExtValue(extended);
    if (decoded) return decoded;
  }
  const plain = params.get('filename');
  return plain ? plain : null;
}

/** Parameters after the disposition type, names lower-cased; quoted values unescaped. */
function parseParams(header: string): Map<string, string> {
  const params = new Map<string, string>();
  let i = header.indexOf(';');
  if (i < 0) return params;
  const n = header.length;
  while (i < n) {
    i++; // past ';'
    while (i < n && /\s/.test(header[i]!)) i++;
    let name = '';
    while (i < n && header[i] !== '=' && header[i] !== ';') name += header[i++];
    name = name.trim().toLowerCase();
    if (header[i] !== '=') continue; // a bare token: nothing to record
    i++;
    while (i < n && /\s/.test(header[i]!)) i++;
    let value = '';
    if (header[i] === '"') {
      i++;
      while (i < n && header[i] !== '"') {
        if (header[i] === '\\' && i + 1 < n) i++;
        value += header[i++];
      }
      i++; // closing quote
      while (i < n && header[i] !== ';') i++;
    } else {
      while (i < n && header[i] !== ';') value += header[i++];
      value = value.trim();
    }
    if (name && !params.has(name)) params.set(name, value);
  }
  return params;
}

/** charset'language'percent-encoded (RFC 5987); UTF-8 and ISO-8859-1 are the charsets in use. */
function decodeExtValue(value: string): string | null {
  const m = /^([^']*)'[^']*'(.*)$/.exec(value.replace(/^"|"$/g, ''));
  if (!m) return null;
  const charset = (m[1] ?? '').toLowerCase();
  const encoded = m[2] ?? '';
  try {
    if (charset === 'utf-8' || charset === '') return decodeURIComponent(encoded);
    if (charset === 'iso-8859-1' || charset === 'latin1') {
      return encoded.replace(/%([0-9a-f]{2})/gi, (_, h: string) =>
        String.fromCharCode(parseInt(h, 16)),
      );
    }
  } catch {
    return null;
  }
  return null;
}
