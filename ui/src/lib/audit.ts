// Audit entries carry whole before/after snapshots; the log shows what
// changed between them, field by field.

export interface Change {
  field: string;
  before?: string;
  after?: string;
}

const IGNORED = new Set(['actions', 'status', 'members_count']);

function show(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The fields that differ (a creation lists its non-empty fields, a deletion its old ones). */
export function changes(before: unknown, after: unknown): Change[] {
  if (!isObject(before) && !isObject(after)) {
    if (before === null || before === undefined) return after == null ? [] : [{ field: 'value', after: show(after) }];
    return [{ field: 'value', before: show(before), after: after == null ? undefined : show(after) }];
  }
  const b = isObject(before) ? before : {};
  const a = isObject(after) ? after : {};
  const fields = [...new Set([...Object.keys(b), ...Object.keys(a)])].filter((f) => !IGNORED.has(f));
  const out: Change[] = [];
  for (const field of fields) {
    const x = b[field];
    const y = a[field];
    if (JSON.stringify(x) === JSON.stringify(y)) continue;
    if ((x === undefined || x === null || x === '') && (y === undefined || y === null || y === '')) continue;
    out.push({
      field,
      before: x === undefined || x === null ? undefined : show(x),
      after: y === undefined || y === null ? undefined : show(y),
    });
  }
  return out;
}
