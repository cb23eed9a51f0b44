// Form checks done before anything is sent, with the same limits the domain
// enforces (lengths are counted in characters, as keydesk-core counts them).
// The backend stays the authority: its `validation` errors name a field and
// are shown the same way.

export type FieldErrors = Partial<Record<string, string>>;

export const WORKSPACE_NAME_MAX = 255;
export const WORKSPACE_ICON_MAX = 2;
export const WORKSPACE_DESCRIPTION_MAX = 255;

/** Length in Unicode code points, like Rust's `chars().count()`. */
export function charCount(value: string): number {
  return Array.from(value).length;
}

export interface WorkspaceFields {
  name: string;
  icon: string;
  description: string;
}

export function validateWorkspace(fields: WorkspaceFields): FieldErrors {
  const errors: FieldErrors = {};
  const name = fields.name.trim();
  if (name.length === 0) errors.name = 'Name is required.';
  else if (charCount(name) > WORKSPACE_NAME_MAX)
    errors.name = `Name must be at most ${WORKSPACE_NAME_MAX} characters.`;
  if (charCount(fields.icon.trim()) > WORKSPACE_ICON_MAX)
    errors.icon = `Icon must be at most ${WORKSPACE_ICON_MAX} characters.`;
  if (charCount(fields.description.trim()) > WORKSPACE_DESCRIPTION_MAX)
    errors.description = `Description must be at most ${WORKSPACE_DESCRIPTION_MAX} characters.`;
  return errors;
}

export interface BootstrapFields {
  org_name: string;
  admin_email: string;
  admin_name: string;
}

/** Something@something.something, no spaces: the same loose check as the domain. */
export function looksLikeEmail(value: string): boolean {
  const at = value.indexOf('@');
  if (at <= 0 || /\s/.test(value) || value.length > 254) return false;
  const domain = value.slice(at + 1);
  return domain.includes('.') && !domain.startsWith('.') && !domain.endsWith('.') && !domain.includes('@');
}

export function validateBootstrap(fields: BootstrapFields): FieldErrors {
  const errors: FieldErrors = {};
  if (fields.org_name.trim().length === 0) errors.org_name = 'Organization name is required.';
  if (fields.admin_email.trim().length === 0) errors.admin_email = 'Email is required.';
  else if (!looksLikeEmail(fields.admin_email.trim()))
    errors.admin_email = 'Email must look like name@example.com.';
  if (charCount(fields.admin_name.trim()) > 255) errors.admin_name = 'Name must be at most 255 characters.';
  return errors;
}

export function hasErrors(errors: FieldErrors): boolean {
  return Object.values(errors).some((message) => message !== undefined);
}

// ---------------------------------------------------------------- members

export interface UserFields {
  email: string;
  name: string;
}

export function validateUser(fields: UserFields): FieldErrors {
  const errors: FieldErrors = {};
  const email = fields.email.trim();
  if (email.length === 0) errors.email = 'Email is required.';
  else if (!looksLikeEmail(email)) errors.email = 'Email must look like name@example.com.';
  if (charCount(fields.name.trim()) > 255) errors.name = 'Name must be at most 255 characters.';
  return errors;
}

// ---------------------------------------------------------------- limits

export const MAX_POLICY_DAYS = 3650;

/**
 * A monthly spending limit typed in dollars ('' = no limit). Returns the
 * error, or the value in micro-USD (null for no limit).
 */
export function checkSpendLimit(
  text: string,
  orgLimitMicros: number | null,
  parse: (t: string) => number | null,
  format: (m: number) => string,
): { error?: string; micros: number | null } {
  if (text.trim() === '') return { micros: null };
  const micros = parse(text);
  if (micros === null) return { error: 'Enter an amount in dollars, e.g. 250 or 99.50.', micros: null };
  if (orgLimitMicros !== null && micros > orgLimitMicros)
    return { error: `Cannot exceed the organization's monthly limit of ${format(orgLimitMicros)}.`, micros };
  return { micros };
}

/** Key validity policy in days ('' = none), at most the organization's. */
export function checkPolicyDays(text: string, orgMaxDays: number | null): { error?: string; days: number | null } {
  if (text.trim() === '') return { days: null };
  const days = Number(text.trim());
  if (!Number.isInteger(days) || days < 1 || days > MAX_POLICY_DAYS)
    return { error: `Enter a whole number of days from 1 to ${MAX_POLICY_DAYS}.`, days: null };
  if (orgMaxDays !== null && days > orgMaxDays)
    return { error: `Cannot exceed the organization's policy of ${orgMaxDays} days.`, days };
  return { days };
}

/** Requests per second ('' = platform default), at least 1. */
export function checkRate(text: string): { error?: string; value: number | null } {
  if (text.trim() === '') return { value: null };
  const value = Number(text.trim());
  if (!Number.isInteger(value) || value < 1 || value > 2_147_483_647)
    return { error: 'Enter a whole number of requests per second, at least 1.', value: null };
  return { value };
}

// ---------------------------------------------------------------- keys

export const KEY_NAME_MAX = 255;

/** The latest expiration day a new key may get: today (UTC) + the stricter policy. */
export function latestExpiration(orgMaxDays: number | null, workspaceMaxDays: number | null, today: Date = new Date()): string | null {
  const days =
    orgMaxDays !== null && workspaceMaxDays !== null ? Math.min(orgMaxDays, workspaceMaxDays) : (orgMaxDays ?? workspaceMaxDays);
  if (days === null) return null;
  return addDays(today, days);
}

/** "YYYY-MM-DD" (UTC) of `day` + `n` days. */
export function addDays(day: Date, n: number): string {
  const d = new Date(Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate() + n));
  return d.toISOString().slice(0, 10);
}

/** Like the domain: a past date is refused; a date past the policy is moved back (not an error). */
export function validateNewKey(
  fields: { name: string; expiration: string },
  today: Date = new Date(),
): FieldErrors {
  const errors: FieldErrors = {};
  if (charCount(fields.name.trim()) > KEY_NAME_MAX) errors.name = `Name must be at most ${KEY_NAME_MAX} characters.`;
  if (fields.expiration !== '') {
    const first = addDays(today, 0);
    if (!/^\d{4}-\d{2}-\d{2}$/.test(fields.expiration)) errors.expiration = 'Choose a date.';
    else if (fields.expiration < first) errors.expiration = 'The expiration must be today or a later date.';
  }
  return errors;
}

export function validateConnectorName(name: string): FieldErrors {
  const n = name.trim();
  if (n === '') return { name: 'Name is required.' };
  if (charCount(n) > 255) return { name: 'Name must be at most 255 characters.' };
  return {};
}

/** Per-model tokens-per-minute rows: a model id and a whole number ≥ 1 each, no model twice. */
export function checkTokensPerMinute(rows: Array<{ model: string; value: string }>): { error?: string; value: Record<string, number> } {
  const value: Record<string, number> = {};
  for (const row of rows) {
    const model = row.model.trim();
    if (model === '' && row.value.trim() === '') continue;
    if (model === '') return { error: 'Enter the model id for each tokens-per-minute limit.', value };
    const n = Number(row.value.trim());
    if (row.value.trim() === '' || !Number.isInteger(n) || n < 1)
      return { error: `Tokens per minute for ${model} must be a whole number, at least 1.`, value };
    if (model in value) return { error: `${model} is listed twice.`, value };
    value[model] = n;
  }
  return { value };
}
