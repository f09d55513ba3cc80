// Header values as CVAT writes them: Django sends Latin-1 text as is and MIME-encodes anything
// else as RFC 2047 encoded words (`=?utf-8?b?…?=` or `=?utf-8?q?…?=`, whichever is shorter),
// so a name such as 夜间录像.mp4 arrives as `=?utf-8?b?5aSc6Ze05b2V5YOPLm1wNA==?=` (Upload-Filename).

const ENCODED_WORD = /=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=/g;

/** Decodes the RFC 2047 encoded words in a header value; other text is returned unchanged. */
export function decodeHeaderValue(value: string): string {
  if (!value.includes('=?')) return value;
  // Whitespace between two adjacent encoded words is not part of the text (RFC 2047 §6.2).
  const joined = value.replace(/\?=\s+=\?/g, '?==?');
  return joined.replace(ENCODED_WORD, (word, charset: string, enc: string, text: string) => {
    const bytes =
      enc.toLowerCase() === 'b'
        ? Buffer.from(text, 'base64')
        : Buffer.from(
            text
              .replace(/_/g, ' ')
              .replace(/=([0-9A-Fa-f]{2})/g, (_m, hex: string) =>
                String.fromCharCode(parseInt(hex, 16)),
              ),
            'latin1',
          );
    const cs = charset.toLowerCase().split('*')[0];
    if (cs === 'utf-8' || cs === 'utf8') return bytes.toString('utf8');
    if (cs === 'iso-8859-1' || cs === 'latin1' || cs === 'us-ascii')
      return bytes.toString('latin1');
    return word; // an unknown charset stays visible rather than being guessed
  });
}
