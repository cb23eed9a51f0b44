// Where the main window is: a section of the sidebar, or one workspace.

import type { Uuid, Workspace } from '../api';

export type Section = 'workspaces' | 'keys' | 'members' | 'billing' | 'audit';

export type WorkspaceTab = 'members' | 'keys' | 'settings' | 'usage' | 'connectors';

export type Route =
  | { page: 'workspaces' }
  /** `ownerId`: opened from a member's details, filtered to their keys. */
  | { page: 'keys'; ownerId?: Uuid; search?: string }
  | { page: 'members' }
  | { page: 'billing' }
  | { page: 'audit' }
  | { page: 'workspace'; workspace: Workspace; tab?: WorkspaceTab; createKey?: boolean };

export function sectionOf(route: Route): Section {
  return route.page === 'workspace' ? 'workspaces' : route.page;
}
