// The organization the window shows, shared by the pages that need its plan,
// billing state, spend limit or key policy (and updated by Billing & limits).

import type { Organization } from '../api';

export const orgStore = $state<{ current: Organization | null }>({ current: null });
