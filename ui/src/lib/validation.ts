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
