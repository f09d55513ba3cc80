// "Did you mean": the known names closest to what the user typed (format names, commands).
export function closeMatches(input: string, names: readonly string[], max = 3): string[] {
  const norm = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, '');
  const q = norm(input);
  const scored = names.map((name) => {
    const n = norm(name);
    // Containment ("coco" in "COCO 1.0") is the common case; edit distance catches typos.
    const score =
      n.includes(q) || q.includes(n) ? 0 : distance(q, n) / Math.max(q.length, n.length, 1);
    return { name, score };
  });
  return scored
    .filter((s) => s.score <= 0.3)
    .sort((a, b) => a.score - b.score || a.name.localeCompare(b.name))
    .slice(0, max)
    .map((s) => s.name);
}

function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(
        (prev[j] ?? 0) + 1,
        (cur[j - 1] ?? 0) + 1,
        (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    prev = cur;
  }
  return prev[b.length] ?? 0;
}
