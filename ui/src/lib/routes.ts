// Where the main window is: a section of the sidebar, or one workspace's keys.

import type { Workspace } from '../api';

export type Section = 'workspaces' | 'keys';

export type Route =
  | { page: 'workspaces' }
  | { page: 'keys' }
  | { page: 'workspace'; workspace: Workspace };

export function sectionOf(route: Route): Section {
  return route.page === 'keys' ? 'keys' : 'workspaces';
}
