// The one policy for choosing a name that is not taken yet: the name itself, else the name with
// a number, counting from 2, put before its extension. Downloaded files and task names use
// " (2)" (what file managers do with copies); file names inside a CVAT task use "_2", the rule
// CVAT itself applies to colliding uploads. Nothing is ever overwritten: a taken name is skipped.

export interface Numbering {
  /** The mark of the n-th name, n ≥ 2: " (2)" or "_2". */
  mark: (n: number) => string;
  /** Splits off what the mark goes in front of (the extension); without it the mark goes last. */
  split?: (name: string) => [stem: string, extension: string];
  /** The longest result in characters (code points); the stem is cut to make room for the mark. */
  maxChars?: number;
}

/** " (2)": copies of downloaded files and task names. */
export const copyMark = (n: number): string => ` (${n})`;
/** "_2": file names inside a CVAT task. */
export const cvatMark = (n: number): string => `_${n}`;

/** "a.b.jpg" -> ["a.b", ".jpg"]; dotfiles and names without a dot have no extension. */
export function lastExtension(name: string): [string, string] {
  const dot = name.lastIndexOf('.');
  return dot <= 0 ? [name, ''] : [name.slice(0, dot), name.slice(dot)];
}

/** The `n`-th candidate for `name`: 1 is the name itself. */
export function numberedName(name: string, n: number, numbering: Numbering): string {
  if (n <= 1) return name;
  const [stem, extension] = numbering.split ? numbering.split(name) : [name, ''];
  const mark = numbering.mark(n);
  const max = numbering.maxChars;
  const room = max === undefined ? Infinity : max - [...mark].length - [...extension].length;
  const chars = [...stem];
  const cut = chars.length <= room ? stem : chars.slice(0, Math.max(0, room)).join('');
  return `${cut}${mark}${extension}`;
}

/** The first candidate for `name` that `isTaken` does not hold. */
export function firstFreeName(
  name: string,
  isTaken: (candidate: string) => boolean,
  numbering: Numbering,
): string {
  for (let n = 1; ; n++) {
    const candidate = numberedName(name, n, numbering);
    if (!isTaken(candidate)) return candidate;
  }
}
