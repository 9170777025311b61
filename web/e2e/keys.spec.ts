import { readFileSync } from 'node:fs';
import { expect, rest, seedEnvironment, signIn, test, unique } from './support';

const SECRET_RE = /^cflt[A-Za-z0-9+/]{60}$/;

test('an admin creates a service account and a key for it on a Kafka cluster, then edits, finds and deletes keys', async ({ page }) => {
  const { environmentId, environmentName, clusterId, clusterName } = await seedEnvironment();
  const accountName = unique('orders-app');

  await test.step('sign in', async () => {
    await signIn(page);
    await expect(page).toHaveURL(/\/environments$/);
    await expect(page.getByRole('heading', { level: 1, name: 'Environments' })).toBeVisible();
  });

  await test.step('create a service account', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Service accounts' }).click();
    await page.getByRole('button', { name: 'Add service account' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add service account' });
    await dialog.getByLabel('Name').fill(accountName);
    await dialog.getByLabel('Description').fill('produces orders');
    await dialog.getByRole('button', { name: 'Add' }).click();
    await expect(dialog).toBeHidden();
    await expect(page.getByRole('row', { name: new RegExp(accountName) })).toContainText('produces orders');
  });

  let key = '';
  let secret = '';
  await test.step('create a key for it on the Kafka cluster', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Environments' }).click();
    await page.getByRole('link', { name: environmentName, exact: true }).click();
    await page.getByRole('link', { name: clusterName, exact: true }).click();
    await page.getByRole('tab', { name: 'API keys' }).click();
    await expect(page.getByText('No API keys yet')).toBeVisible();
    await page.getByRole('link', { name: 'Add key' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Create API key' })).toBeVisible();
    await expect(page.getByRole('group', { name: 'Scope' })).toContainText(clusterId);
    await page.getByRole('radio', { name: /Service account/ }).check();
    const account = page.getByLabel('Service account', { exact: true });
    await expect(account.locator('option', { hasText: accountName })).toHaveCount(1);
    await account.selectOption((await account.locator('option', { hasText: accountName }).getAttribute('value'))!);
    await page.getByLabel('Name (optional)').fill('orders producer');
    await page.getByLabel('Description (optional)').fill('first key');
    await page.getByRole('button', { name: 'Create' }).click();

    await expect(page.getByRole('heading', { level: 1, name: 'Save your API key and secret' })).toBeVisible();
    key = (await page.getByTestId('created-key').textContent()) ?? '';
    secret = (await page.getByTestId('created-secret').textContent()) ?? '';
    expect(key).toMatch(/^[A-Z0-9]{16}$/);
    expect(secret).toMatch(SECRET_RE);
    const stored = await rest<{ spec: { owner: { id: string }; resource: { id: string }; secret?: string } }>('GET', `/iam/v2/api-keys/${key}`);
    expect(stored.spec.resource.id).toBe(clusterId);
    expect(stored.spec.owner.id).toMatch(/^sa-/);
    expect(stored.spec.secret).toBeUndefined();
  });

  await test.step('copy and download the key and secret', async () => {
    await page.getByRole('button', { name: 'Copy API secret' }).click();
    await expect(page.getByText('API secret copied to the clipboard.')).toBeVisible();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
    await page.getByRole('button', { name: 'Copy API key' }).click();
    await expect(page.getByText('API key copied to the clipboard.')).toBeVisible();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(key);

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download' }).click()]);
    expect(download.suggestedFilename()).toBe(`api-key-${key}.txt`);
    const text = readFileSync((await download.path())!, 'utf8');
    expect(text).toBe(`API key: ${key}\nAPI secret: ${secret}\n`);
  });

  await test.step('the secret is shown once: gone after Complete', async () => {
    const complete = page.getByRole('button', { name: 'Complete' });
    await expect(complete).toBeDisabled();
    await page.getByLabel('I have saved my API key and secret').check();
    await complete.click();
    await expect(page).toHaveURL(new RegExp(`/environments/${environmentId}/kafka/${clusterId}\\?tab=api-keys$`));
    await expect(page.getByRole('row', { name: new RegExp(key) })).toContainText('first key');
    expect(await page.content()).not.toContain(secret);
    const kept = await page.evaluate(() => JSON.stringify([window.history.state, { ...sessionStorage }, { ...localStorage }, document.cookie]));
    expect(kept).not.toContain(secret);
    await page.goBack();
    await expect(page.getByRole('heading', { level: 1, name: 'Create API key' })).toBeVisible();
    expect(await page.content()).not.toContain(secret);
    await page.goForward();
  });

  let other = '';
  await test.step('search and sort', async () => {
    const first = await rest<{ spec: { owner: { id: string } } }>('GET', `/iam/v2/api-keys/${key}`);
    const created = await rest<{ id: string }>('POST', '/iam/v2/api-keys', {
      spec: { owner: { id: first.spec.owner.id }, resource: { id: clusterId, environment: environmentId }, description: 'second key' },
    });
    other = created.id;
    await page.goto(`/environments/${environmentId}/kafka/${clusterId}?tab=api-keys`);
    const table = page.getByRole('table', { name: 'API keys' });
    await expect(table.getByRole('row')).toHaveCount(3);
    await page.getByLabel('Search').fill('second');
    await expect(table.getByRole('row')).toHaveCount(2);
    await expect(table.getByRole('row', { name: new RegExp(other) })).toBeVisible();
    await page.getByLabel('Search').fill('no-such-key');
    await expect(page.getByText('Nothing matches')).toBeVisible();
    await page.getByLabel('Search').fill('');

    await table.getByRole('button', { name: /^Key/ }).click();
    await expect(table.getByRole('columnheader', { name: /^Key/ })).toHaveAttribute('aria-sort', 'ascending');
    const ascending = [key, other].sort();
    await expect(table.getByRole('row').nth(1)).toContainText(ascending[0]!);
    await table.getByRole('button', { name: /^Key/ }).click();
    await expect(table.getByRole('columnheader', { name: /^Key/ })).toHaveAttribute('aria-sort', 'descending');
    await expect(table.getByRole('row').nth(1)).toContainText(ascending[1]!);
  });

  await test.step('edit a description', async () => {
    await page.getByRole('button', { name: `Edit description of ${key}` }).click();
    const dialog = page.getByRole('dialog', { name: `Edit description of ${key}` });
    await expect(dialog.getByLabel('Description')).toHaveValue('first key');
    await dialog.getByLabel('Description').fill('orders producer, prod');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await expect(dialog).toBeHidden();
    await expect(page.getByRole('row', { name: new RegExp(key) })).toContainText('orders producer, prod');
    const stored = await rest<{ spec: { description: string } }>('GET', `/iam/v2/api-keys/${key}`);
    expect(stored.spec.description).toBe('orders producer, prod');
  });

  await test.step('delete a key behind a dialog that says it cannot be undone', async () => {
    const opener = page.getByRole('button', { name: `Delete ${key}` });
    await opener.click();
    const dialog = page.getByRole('alertdialog', { name: `Delete API key ${key}?` });
    await expect(dialog).toContainText('cannot be undone');
    await expect(dialog.getByTestId('delete-last-used')).toHaveText('Never used');
    await expect(dialog.getByRole('button', { name: 'Cancel' })).toBeFocused();
    await page.keyboard.press('Escape');
    await expect(dialog).toBeHidden();
    await expect(opener).toBeFocused();
    await opener.click();
    await dialog.getByRole('button', { name: 'Delete key' }).click();
    await expect(dialog).toBeHidden();
    await expect(page.getByRole('row', { name: new RegExp(key) })).toHaveCount(0);
    await expect(page.getByRole('row', { name: new RegExp(other) })).toBeVisible();
    await expect(rest('GET', `/iam/v2/api-keys/${key}`)).rejects.toThrow(/404/);
  });

  await test.step('sign out', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
    await page.goto('/cloud-api-keys');
    await expect(page).toHaveURL(/\/sign-in\?next=%2Fcloud-api-keys/);
    const session = await page.evaluate(async () => (await fetch('/console/v1/session')).status);
    expect(session).toBe(401);
  });
});
