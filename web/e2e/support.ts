import { test as base, expect, type Page } from '@playwright/test';

/** The server global-setup started and its admin's credentials. */
export const server = {
  get url() {
    return process.env.KEYPLANE_E2E_URL ?? '';
  },
  get email() {
    return process.env.KEYPLANE_E2E_EMAIL ?? '';
  },
  get password() {
    return process.env.KEYPLANE_E2E_PASSWORD ?? '';
  },
};

export const test = base.extend<{ skipWithoutBrowser: undefined }>({
  baseURL: async ({}, use) => use(process.env.KEYPLANE_E2E_URL),
  skipWithoutBrowser: [
    async ({}, use, info) => {
      const reason = process.env.KEYPLANE_E2E_SKIP;
      if (reason) info.skip(true, reason);
      await use(undefined);
    },
    { auto: true },
  ],
});

export { expect };

/** A call to the REST API as the admin's Cloud API key (Basic), for setting up what a test needs. */
export async function rest<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
  const auth = Buffer.from(`${process.env.KEYPLANE_E2E_KEY}:${process.env.KEYPLANE_E2E_SECRET}`).toString('base64');
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: { Authorization: `Basic ${auth}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

let seq = 0;
/** A name no other test in the run uses. */
export function unique(prefix: string): string {
  seq += 1;
  return `${prefix}-${Date.now().toString(36)}-${seq}`;
}

export interface Seeded {
  environmentId: string;
  environmentName: string;
  clusterId: string;
  clusterName: string;
}

/** An environment with one Kafka cluster in it, made through the REST API. */
export async function seedEnvironment(name = unique('env'), clusterName = unique('orders')): Promise<Seeded> {
  const environment = await rest<{ id: string }>('POST', '/org/v2/environments', { display_name: name });
  const cluster = await rest<{ id: string }>('POST', '/cmk/v2/clusters', {
    spec: {
      display_name: clusterName,
      cloud: 'AWS',
      region: 'us-east-1',
      availability: 'SINGLE_ZONE',
      config: { kind: 'Basic' },
      environment: { id: environment.id },
    },
  });
  return { environmentId: environment.id, environmentName: name, clusterId: cluster.id, clusterName };
}

export async function signIn(page: Page, email = server.email, password = server.password): Promise<void> {
  await page.goto('/sign-in');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('button', { name: 'Sign out' })).toBeVisible();
}

const UNNAMED_CONTROL = /^\s*- (textbox|searchbox|combobox|checkbox|radio|spinbutton|listbox|slider|switch)(?: \[[^\]]*\])?(?::.*)?$/m;

/** Every form control on the page has an accessible name: the ARIA snapshot shows one for each. */
export async function expectNamedControls(page: Page): Promise<void> {
  const snapshot = await page.locator('body').ariaSnapshot();
  expect(snapshot.match(UNNAMED_CONTROL)?.[0] ?? null, `a control without an accessible name in:\n${snapshot}`).toBeNull();
}
