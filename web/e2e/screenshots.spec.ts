import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { expect, rest, seedEnvironment, signIn, test } from './support';

// Runs only under `npm run screenshots` (see playwright.config.ts): the PNGs in docs/screenshots.
const dir = resolve(import.meta.dirname, '../../docs/screenshots');

test('screenshots of the main pages', async ({ page }) => {
  mkdirSync(dir, { recursive: true });
  const shot = (name: string) => page.screenshot({ path: `${dir}/${name}.png` });

  const { environmentId, clusterId } = await seedEnvironment('production', 'orders');
  const accounts = [];
  for (const [name, description] of [
    ['orders-service', 'Produces to orders.*'],
    ['billing-consumer', 'Reads invoices'],
    ['analytics-etl', 'Nightly export to the warehouse'],
  ] as const) {
    accounts.push(await rest<{ id: string }>('POST', '/iam/v2/service-accounts', { display_name: name, description }));
  }
  for (const [i, account] of accounts.entries()) {
    await rest('POST', '/iam/v2/api-keys', {
      spec: {
        owner: { id: account.id },
        resource: { id: clusterId, environment: environmentId },
        display_name: ['orders producer', 'billing reader', 'etl export'][i],
        description: ['prod, rotated quarterly', 'consumer group billing', 'read-only'][i],
      },
    });
  }
  await rest('POST', '/iam/v2/api-keys', {
    spec: { owner: { id: accounts[0]!.id }, resource: { id: 'cloud' }, display_name: 'terraform', description: 'CI pipeline' },
  });

  await page.goto('/sign-in');
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
  await shot('sign-in');

  await signIn(page);
  await page.goto(`/environments/${environmentId}/kafka/${clusterId}?tab=api-keys`);
  await expect(page.getByRole('table', { name: 'API keys' }).getByRole('row')).toHaveCount(4);
  await shot('cluster-api-keys');

  await page.getByRole('link', { name: 'Add key' }).click();
  await page.getByRole('radio', { name: /Service account/ }).check();
  const account = page.getByLabel('Service account', { exact: true });
  await account.selectOption((await account.locator('option', { hasText: 'orders-service' }).getAttribute('value'))!);
  await page.getByLabel('Name (optional)').fill('orders producer 2');
  await page.getByLabel('Description (optional)').fill('replacement for the quarterly rotation');
  await page.getByRole('button', { name: 'Create' }).click();
  const secret = page.getByTestId('created-secret');
  await expect(secret).toBeVisible();
  await page.screenshot({ path: `${dir}/create-key-secret.png`, mask: [secret], maskColor: '#334155' });
  await page.getByLabel('I have saved my API key and secret').check();
  await page.getByRole('button', { name: 'Complete' }).click();

  await page.goto('/cloud-api-keys');
  await expect(page.getByRole('table', { name: 'Cloud API keys' })).toBeVisible();
  await shot('cloud-api-keys');

  await page.goto('/service-accounts');
  await expect(page.getByRole('table', { name: 'Service accounts' })).toBeVisible();
  await shot('service-accounts');

  await page.goto('/audit-log');
  await page.getByLabel('Method').fill('CreateAPIKey');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await expect(page.getByRole('table', { name: 'Audit events' })).toBeVisible();
  await shot('audit-log');

  await page.setViewportSize({ width: 400, height: 800 });
  await page.goto(`/environments/${environmentId}/kafka/${clusterId}?tab=api-keys`);
  await expect(page.getByRole('table', { name: 'API keys' })).toBeVisible();
  await shot('narrow-cluster-api-keys');
});
