// Small helpers to mount Svelte components and wait for the DOM in tests.

import { flushSync, mount, unmount, type Component } from 'svelte';

/** Components rendered and not yet destroyed. */
const live = new Set<() => void>();

export function render<P extends Record<string, unknown>>(component: Component<P>, props: P) {
  const target = document.createElement('div');
  document.body.appendChild(target);
  const instance = mount(component, { target, props });
  flushSync();
  const destroy = () => {
    if (!live.delete(destroy)) return;
    unmount(instance);
    target.remove();
  };
  live.add(destroy);
  return { target, destroy };
}

/** Destroys every component still rendered, so that none of a finished
 *  test's effects reach the next test's mocks. */
export function destroyAll() {
  for (const destroy of [...live]) destroy();
}

/** Polls `probe` until it returns a truthy value (or throws after `ms`). */
export async function waitFor<T>(probe: () => T | null | undefined | false, ms = 2000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    flushSync();
    const value = probe();
    if (value) return value;
    if (Date.now() > until) throw new Error('waitFor: condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export function byTestId<E extends HTMLElement = HTMLElement>(root: ParentNode, id: string): E | null {
  return root.querySelector<E>(`[data-testid="${id}"]`);
}

export function click(element: HTMLElement | null) {
  if (!element) throw new Error('click: no element');
  element.click();
  flushSync();
}

export function type(input: HTMLInputElement | HTMLTextAreaElement | null, value: string) {
  if (!input) throw new Error('type: no input');
  input.value = value;
  input.dispatchEvent(new Event('input', { bubbles: true }));
  flushSync();
}
