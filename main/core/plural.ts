// Counts in words: "1 task", "2 tasks", "0 files". Irregular plurals are passed in.
export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count.toLocaleString('en-US')} ${count === 1 ? one : many}`;
}
