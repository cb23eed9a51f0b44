// Where the main window is: a section of the sidebar, or one workspace.

import type { NotificationTarget, OrgRole, User, Uuid, Workspace } from '../api';

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

/** Every section, in the sidebar's order. */
export const ALL_SECTIONS: readonly Section[] = ['workspaces', 'keys', 'members', 'billing', 'audit'];

/**
 * The sections a user's main window shows. An organization member manages
 * only their own keys there: the organization's pages are for admins (and
 * billing managers), and the backend would refuse most of what they show.
 */
export function sectionsFor(role: OrgRole): readonly Section[] {
  return role === 'member' ? ['keys'] : ALL_SECTIONS;
}

/** Whether this user's main window is the "my keys" view alone. */
export function onlyOwnKeys(user: User | null): boolean {
  return user?.org_role === 'member';
}

/**
 * The route for a section, as this user sees it: a member's keys section is
 * their own keys; a section the user's window does not show leads to their
 * first one.
 */
export function routeFor(section: Section, user: User | null): Route {
  if (!user) return { page: section };
  const shown = sectionsFor(user.org_role);
  const target = shown.includes(section) ? section : shown[0];
  if (target === 'keys' && onlyOwnKeys(user)) return { page: 'keys', ownerId: user.id };
  return { page: target };
}

/** Where the main window opens. */
export function homeRoute(user: User | null): Route {
  return routeFor(onlyOwnKeys(user) ? 'keys' : 'workspaces', user);
}

/**
 * Where a click on a desktop notification leads: one's own keys, or the
 * usage tab of the workspace it is about (among those the window knows).
 * `null` when the window has nowhere to go (signed out: the sign-in screen
 * is already what it shows; a workspace it cannot see).
 */
export function routeForNotification(target: NotificationTarget, user: User | null, workspaces: readonly Workspace[]): Route | null {
  if (!user) return null;
  switch (target.view) {
    case 'my_keys':
      return { page: 'keys', ownerId: user.id };
    case 'workspace_usage': {
      const workspace = workspaces.find((w) => w.id === target.workspace_id);
      return workspace ? { page: 'workspace', workspace, tab: 'usage' } : null;
    }
    case 'sign_in':
      return null;
  }
}
