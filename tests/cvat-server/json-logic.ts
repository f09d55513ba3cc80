// The JSON-Logic subset CVAT's JsonLogicFilter (cvat/apps/engine/filters.py) understands.
// Anything else is a 400 list body.
import { listError } from './http-kit.js';

export type Value = string | number | boolean | null;
export type Getter<T> = (item: T) => Value;
export type Predicate<T> = (item: T) => boolean;

export function parseFilter<T>(raw: string, fields: Record<string, Getter<T>>): Predicate<T> {
  let rules: unknown;
  try {
    rules = JSON.parse(raw);
  } catch {
    throw listError('filter: Json syntax should be used');
  }
  if (rules === null || typeof rules !== 'object' || Object.keys(rules).length === 0) {
    throw listError("filter shouldn't be empty");
  }
  return build(rules, fields);
}

function field<T>(arg: unknown, fields: Record<string, Getter<T>>): Getter<T> {
  const name =
    arg !== null && typeof arg === 'object' && 'var' in arg
      ? (arg as { var: unknown }).var
      : undefined;
  if (typeof name !== 'string')
    throw listError(`filter: ${JSON.stringify(arg)} term is not supported`);
  const getter = fields[name];
  if (!getter) throw listError(`filter: '${name}' term is not supported`);
  return getter;
}

function compare(a: Value, b: unknown): number | null {
  if (a === null || b === null || b === undefined) return null;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const x = String(a);
  const y = String(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

function equals(a: Value, b: unknown): boolean {
  if (a === null) return b === null;
  if (typeof a === 'number') return a === Number(b);
  if (typeof a === 'boolean') return a === b || String(a) === String(b);
  return a === b || (typeof b === 'number' && a === String(b));
}

function build<T>(rules: unknown, fields: Record<string, Getter<T>>): Predicate<T> {
  if (rules === null || typeof rules !== 'object' || Array.isArray(rules)) {
    throw listError(`filter: ${JSON.stringify(rules)} operation is not implemented`);
  }
  const [op, rawArgs] = Object.entries(rules)[0] ?? [];
  const args: unknown[] = Array.isArray(rawArgs) ? rawArgs : [rawArgs];
  const notImplemented = () =>
    listError(
      `filter: ${op} operation with ${JSON.stringify(rawArgs)} arguments is not implemented`,
    );
  switch (op) {
    case 'and':
    case 'or': {
      const parts = args.map((a) => build(a, fields));
      return op === 'and'
        ? (item) => parts.every((p) => p(item))
        : (item) => parts.some((p) => p(item));
    }
    case '!': {
      const inner = build(args[0], fields);
      return (item) => !inner(item);
    }
    case '!!':
      return build(args[0], fields);
    case 'var': {
      const get = field({ var: args[0] }, fields);
      return (item) => get(item) !== null;
    }
    case '==':
    case '<':
    case '>':
    case '<=':
    case '>=': {
      if (op === '<=' && args.length === 3) {
        const get = field(args[1], fields);
        return (item) => {
          const lo = compare(get(item), args[0]);
          const hi = compare(get(item), args[2]);
          return lo !== null && hi !== null && lo >= 0 && hi <= 0;
        };
      }
      if (args.length !== 2) throw notImplemented();
      const get = field(args[0], fields);
      const value = args[1];
      if (op === '==') return (item) => equals(get(item), value);
      return (item) => {
        const c = compare(get(item), value);
        if (c === null) return false;
        return op === '<' ? c < 0 : op === '>' ? c > 0 : op === '<=' ? c <= 0 : c >= 0;
      };
    }
    case 'in': {
      if (args.length !== 2) throw notImplemented();
      if (args[0] !== null && typeof args[0] === 'object' && !Array.isArray(args[0])) {
        const get = field(args[0], fields);
        const list = Array.isArray(args[1]) ? args[1] : [];
        return (item) => list.some((v) => equals(get(item), v));
      }
      const get = field(args[1], fields);
      const needle = String(args[0]).toLowerCase();
      return (item) => {
        const v = get(item);
        return v !== null && String(v).toLowerCase().includes(needle);
      };
    }
    default:
      throw notImplemented();
  }
}
