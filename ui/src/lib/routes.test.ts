import { describe, expect, it } from 'vitest';
import type { User, Workspace } from '../api';
import { workspace } from '../test/fixtures';
import { ALL_SECTIONS, homeRoute, routeFor, routeForNotification, sectionsFor } from './routes';

function user(org_role: User['org_role']): User {
  return { id: 'u-1', email: 'dev@example.com', name: 'Dev', org_role, created_at: '2026-01-01T00:00:00Z' };
}

describe('what the main window shows to whom', () => {
  it('an organization member sees only their own keys', () => {
    expect(sectionsFor('member')).toEqual(['keys']);
    expect(homeRoute(user('member'))).toEqual({ page: 'keys', ownerId: 'u-1' });
  });

  it('admins and billing managers see every section and open on the workspaces', () => {
    expect(sectionsFor('admin')).toEqual(ALL_SECTIONS);
    expect(sectionsFor('billing_manager')).toEqual(ALL_SECTIONS);
    expect(homeRoute(user('admin'))).toEqual({ page: 'workspaces' });
  });

  it("a member asking for an organization page gets their keys instead", () => {
    expect(routeFor('members', user('member'))).toEqual({ page: 'keys', ownerId: 'u-1' });
    expect(routeFor('audit', user('member'))).toEqual({ page: 'keys', ownerId: 'u-1' });
  });

  it("an admin's keys section is the organization's, not filtered to them", () => {
    expect(routeFor('keys', user('admin'))).toEqual({ page: 'keys' });
  });
});

describe('where a click on a notification leads', () => {
  const research: Workspace = workspace();

  it('an expiring key opens my own keys, for admins and members alike', () => {
    expect(routeForNotification({ view: 'my_keys' }, user('admin'), [])).toEqual({ page: 'keys', ownerId: 'u-1' });
    expect(routeForNotification({ view: 'my_keys' }, user('member'), [])).toEqual({ page: 'keys', ownerId: 'u-1' });
  });

  it('a spend alert opens that workspace on its usage tab', () => {
    expect(routeForNotification({ view: 'workspace_usage', workspace_id: research.id }, user('admin'), [research])).toEqual({
      page: 'workspace',
      workspace: research,
      tab: 'usage',
    });
    expect(routeForNotification({ view: 'workspace_usage', workspace_id: 'gone' }, user('admin'), [research])).toBeNull();
  });

  it('an ended session leads nowhere but the sign-in screen the window already shows', () => {
    expect(routeForNotification({ view: 'sign_in' }, user('admin'), [])).toBeNull();
    expect(routeForNotification({ view: 'my_keys' }, null, [])).toBeNull();
  });
});
