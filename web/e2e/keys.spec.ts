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
    // Complete replaced the create page in the history: Back does not land on a live create form.
    await page.goBack();
    await expect(page).not.toHaveURL(/\/api-keys\/new/);
    await expect(page.getByRole('heading', { level: 1, name: clusterName })).toBeVisible();
    expect(await page.content()).not.toContain(secret);
    await page.goForward();
    await expect(page).toHaveURL(new RegExp(`/environments/${environmentId}/kafka/${clusterId}\\?tab=api-keys$`));
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

test('a key for a service account made inline: a failed create and its retry leave exactly one account', async ({ page }) => {
  const accountName = unique('inline-app');
  const accountsNamed = async () =>
    (await rest<{ data: Array<{ id: string }> }>('GET', `/iam/v2/service-accounts?display_name=${encodeURIComponent(accountName)}`)).data;
  await signIn(page);
  await page.goto('/api-keys/new?resource=cloud&return=/cloud-api-keys');
  await page.getByRole('radio', { name: /Service account/ }).check();
  await page.getByRole('radio', { name: 'Create a new one' }).check();
  await page.getByLabel('Service account name').fill(accountName);
  await page.getByLabel('Service account description').fill('made with its key');
  // Over the server's 128-character limit: the account is made, then the key is refused.
  await page.getByLabel('Description (optional)').fill('x'.repeat(200));
  await page.getByRole('button', { name: 'Create' }).click();
  await expect(page.getByRole('alert')).toContainText('description');
  expect(await accountsNamed()).toHaveLength(1);
  const [account] = await accountsNamed();
  await expect(page.getByLabel('Service account', { exact: true })).toHaveValue(account!.id);

  await page.getByLabel('Description (optional)').fill('inline account key');
  await page.getByRole('button', { name: 'Create' }).click();
  const key = (await page.getByTestId('created-key').textContent()) ?? '';
  expect(key).toMatch(/^[A-Z0-9]{16}$/);
  expect(await accountsNamed()).toHaveLength(1);
  const stored = await rest<{ spec: { owner: { id: string }; description: string } }>('GET', `/iam/v2/api-keys/${key}`);
  expect(stored.spec).toMatchObject({ owner: { id: account!.id }, description: 'inline account key' });
});

test('Global and Tableflow keys are made, found and deleted on the Cloud API keys page', async ({ page }) => {
  await signIn(page);
  await page.goto('/cloud-api-keys');

  await page.getByRole('region', { name: 'Cloud API keys' }).getByRole('link', { name: 'Add key' }).click();
  const scope = page.getByLabel('Resource type');
  await expect(scope.locator('option')).toHaveText(['Cloud resource management', 'Global (management API)']);
  await scope.selectOption({ label: 'Global (management API)' });
  await page.getByLabel('Description (optional)').fill('global key');
  await page.getByRole('button', { name: 'Create' }).click();
  const globalKey = (await page.getByTestId('created-key').textContent()) ?? '';
  expect((await rest<{ spec: { resource: { id: string; kind: string } } }>('GET', `/iam/v2/api-keys/${globalKey}`)).spec.resource).toMatchObject({
    id: 'global',
    kind: 'Global',
  });
  await page.getByLabel('I have saved my API key and secret').check();
  await page.getByRole('button', { name: 'Complete' }).click();
  await expect(page).toHaveURL(/\/cloud-api-keys$/);
  const cloudKeys = page.getByRole('region', { name: 'Cloud API keys' });
  await expect(cloudKeys.getByRole('row', { name: new RegExp(globalKey) })).toContainText('Global');

  const tableflow = page.getByRole('region', { name: 'Tableflow API keys' });
  await tableflow.getByRole('link', { name: 'Add key' }).click();
  await expect(page.getByRole('group', { name: 'Scope' })).toContainText('Tableflow');
  await page.getByRole('button', { name: 'Create' }).click();
  const tableflowKey = (await page.getByTestId('created-key').textContent()) ?? '';
  expect((await rest<{ spec: { resource: { kind: string } } }>('GET', `/iam/v2/api-keys/${tableflowKey}`)).spec.resource.kind).toBe('Tableflow');
  await page.getByLabel('I have saved my API key and secret').check();
  await page.getByRole('button', { name: 'Complete' }).click();
  await expect(tableflow.getByRole('row', { name: new RegExp(tableflowKey) })).toBeVisible();

  await tableflow.getByRole('button', { name: `Edit description of ${tableflowKey}` }).click();
  const edit = page.getByRole('dialog', { name: `Edit description of ${tableflowKey}` });
  await edit.getByLabel('Description').fill('reads tables');
  await edit.getByRole('button', { name: 'Save' }).click();
  await expect(tableflow.getByRole('row', { name: new RegExp(tableflowKey) })).toContainText('reads tables');

  for (const [section, key] of [
    [tableflow, tableflowKey],
    [cloudKeys, globalKey],
  ] as const) {
    await section.getByRole('button', { name: `Delete ${key}` }).click();
    await page.getByRole('alertdialog', { name: `Delete API key ${key}?` }).getByRole('button', { name: 'Delete key' }).click();
    await expect(section.getByRole('row', { name: new RegExp(key) })).toHaveCount(0);
    await expect(rest('GET', `/iam/v2/api-keys/${key}`)).rejects.toThrow(/404/);
  }
  // The deleted row's button is gone: focus went to the list, not to the page's body.
  expect(await page.evaluate(() => document.activeElement?.tagName)).not.toBe('BODY');
});
