// The organization the window shows, shared by the pages that need its plan,
// billing state, spend limit or key policy (and updated by Billing & limits),
// and the team settings' default expiry for new keys, when there are any.

import type { Organization } from '../api';

export const orgStore = $state<{ current: Organization | null }>({ current: null });

export const teamStore = $state<{ defaultKeyExpiryDays: number | null }>({ defaultKeyExpiryDays: null });
