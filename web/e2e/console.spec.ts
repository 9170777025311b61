import { expect, expectNamedControls, rest, seedEnvironment, signIn, test, unique } from './support';

test('a wrong password is refused in place, with the API\'s message', async ({ page }) => {
  await page.goto('/sign-in');
  await page.getByLabel('Email').fill('nobody@keyplane.local');
  await page.getByLabel('Password').fill('not-the-password-at-all');
  await page.getByRole('button', { name: 'Sign in' }).click();
  const alert = page.getByRole('alert');
  await expect(alert).toHaveText('The email or password is not right');
  await expect(page).toHaveURL(/\/sign-in$/);
  await expect(page.getByLabel('Password')).toHaveValue('');
});

test('an API error is shown in place, inside the dialog that caused it', async ({ page }) => {
  const name = unique('duplicate');
  await rest('POST', '/iam/v2/service-accounts', { display_name: name, description: 'first' });
  await signIn(page);
  await page.goto('/service-accounts');
  await page.getByRole('button', { name: 'Add service account' }).click();
  const dialog = page.getByRole('dialog', { name: 'Add service account' });
  await dialog.getByLabel('Name').fill(name);
  await dialog.getByRole('button', { name: 'Add' }).click();
  const alert = dialog.getByRole('alert');
  await expect(alert).toBeVisible();
  await expect(alert).toContainText(name);
  await expect(dialog).toBeVisible();
});

test('leaving the secret step without saving warns, in the app and on unload', async ({ page }) => {
  await signIn(page);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Cloud API keys' }).click();
  await page.getByRole('region', { name: 'Cloud API keys' }).getByRole('link', { name: 'Add key' }).click();
  await expect(page.getByRole('radio', { name: /My account/ })).toBeChecked();
  await page.getByLabel('Description (optional)').fill('warning check');
  await page.getByRole('button', { name: 'Create' }).click();
  const secret = (await page.getByTestId('created-secret').textContent()) ?? '';
  expect(secret).toMatch(/^cflt/);

  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Service accounts' }).click();
  const warning = page.getByRole('alertdialog', { name: 'Leave without saving the secret?' });
  await expect(warning).toBeVisible();
  await expect(warning.getByRole('button', { name: 'Stay' })).toBeFocused();
  await warning.getByRole('button', { name: 'Stay' }).click();
  await expect(warning).toBeHidden();
  await expect(page.getByTestId('created-secret')).toHaveText(secret);

  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Service accounts' }).click();
  await warning.getByRole('button', { name: 'Leave' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Service accounts' })).toBeVisible();
  expect(await page.content()).not.toContain(secret);

  // Closing the tab (or reloading it) while a secret is on screen asks the browser to confirm.
  await page.goto('/api-keys/new?resource=cloud');
  await page.getByRole('button', { name: 'Create' }).click();
  await expect(page.getByTestId('created-secret')).toHaveText(/^cflt/);
  const asked = new Promise<string>((resolve) => {
    page.once('dialog', async (dialog) => {
      resolve(dialog.type());
      await dialog.accept();
    });
  });
  const closed = page.waitForEvent('close');
  await page.close({ runBeforeUnload: true });
  expect(await asked).toBe('beforeunload');
  await closed;
});

test('once the box is ticked, leaving the secret step asks nothing', async ({ page }) => {
  await signIn(page);
  await page.goto('/api-keys/new?resource=cloud&return=/cloud-api-keys');
  await page.getByRole('button', { name: 'Create' }).click();
  const key = (await page.getByTestId('created-key').textContent()) ?? '';
  await page.getByLabel('I have saved my API key and secret').check();
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Cloud API keys' }).click();
  await expect(page.getByRole('alertdialog')).toHaveCount(0);
  await expect(page.getByRole('row', { name: new RegExp(key) })).toBeVisible();
});

test('keys tables page through many keys', async ({ page }) => {
  const { environmentId, clusterId } = await seedEnvironment();
  const account = await rest<{ id: string }>('POST', '/iam/v2/service-accounts', { display_name: unique('many'), description: '' });
  for (let i = 0; i < 12; i++) {
    await rest('POST', '/iam/v2/api-keys', {
      spec: { owner: { id: account.id }, resource: { id: clusterId, environment: environmentId }, description: `key ${String(i).padStart(2, '0')}` },
    });
  }
  await signIn(page);
  await page.goto(`/environments/${environmentId}/kafka/${clusterId}?tab=api-keys`);
  const table = page.getByRole('table', { name: 'API keys' });
  await expect(page.getByText('12 total')).toBeVisible();
  await expect(table.getByRole('row')).toHaveCount(11);
  const pager = page.getByRole('navigation', { name: 'API keys pages' });
  await expect(pager).toContainText('Page 1 of 2');
  await pager.getByRole('button', { name: 'Next' }).click();
  await expect(pager).toContainText('Page 2 of 2');
  await expect(table.getByRole('row')).toHaveCount(3);
  await expect(pager.getByRole('button', { name: 'Next' })).toBeDisabled();
});

test('deleting a service account lists the keys that go with it', async ({ page }) => {
  const { environmentId, clusterId } = await seedEnvironment();
  const name = unique('retiring');
  const account = await rest<{ id: string }>('POST', '/iam/v2/service-accounts', { display_name: name, description: '' });
  const key = await rest<{ id: string }>('POST', '/iam/v2/api-keys', {
    spec: { owner: { id: account.id }, resource: { id: clusterId, environment: environmentId }, description: 'goes too' },
  });
  await signIn(page);
  await page.goto('/service-accounts');
  await page.getByLabel('Search').fill(name);
  await page.getByRole('button', { name: `Delete ${name}` }).click();
  const dialog = page.getByRole('alertdialog', { name: `Delete service account ${name}?` });
  await expect(dialog).toContainText('cannot be undone');
  await expect(dialog.getByRole('list', { name: 'API keys deleted with it' })).toContainText(key.id);
  await dialog.getByRole('button', { name: 'Delete service account' }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByText('Nothing matches')).toBeVisible();
  await expect(rest('GET', `/iam/v2/api-keys/${key.id}`)).rejects.toThrow(/404/);
});

test('a narrow window: the menu folds away and pages still work', async ({ page }) => {
  await page.setViewportSize({ width: 400, height: 800 });
  await signIn(page);
  const nav = page.getByRole('navigation', { name: 'Main' });
  await expect(nav).toBeHidden();
  const menu = page.getByRole('button', { name: 'Menu' });
  await expect(menu).toHaveAttribute('aria-expanded', 'false');
  await menu.click();
  await expect(menu).toHaveAttribute('aria-expanded', 'true');
  await nav.getByRole('link', { name: 'Cloud API keys' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Cloud API keys' })).toBeVisible();
  await expect(nav).toBeHidden();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow).toBeLessThanOrEqual(0);
});

test('every form control on every page has an accessible name, and the keyboard reaches the dialogs', async ({ page }) => {
  await page.goto('/sign-in');
  await expectNamedControls(page);
  const { environmentId, clusterId } = await seedEnvironment();
  await signIn(page);
  for (const path of [
    '/environments',
    `/environments/${environmentId}`,
    `/environments/${environmentId}/kafka/${clusterId}?tab=api-keys`,
    '/cloud-api-keys',
    '/service-accounts',
    '/users',
    '/role-bindings',
    '/audit-log',
    '/account',
  ]) {
    await page.goto(path);
    await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
    await expect(page.getByText('Loading', { exact: false })).toHaveCount(0);
    await expectNamedControls(page);
  }

  await page.goto('/api-keys/new');
  await page.getByRole('radio', { name: /Service account/ }).check();
  await page.getByRole('radio', { name: 'Create a new one' }).check();
  await page.getByLabel('Resource type').selectOption({ label: 'Flink region' });
  await expect(page.getByLabel('Region')).toBeVisible();
  await expectNamedControls(page);

  await page.goto('/role-bindings');
  const opener = page.getByRole('button', { name: 'Add role binding' });
  await opener.focus();
  await page.keyboard.press('Enter');
  const dialog = page.getByRole('dialog', { name: 'Add role binding' });
  await expect(dialog.getByLabel('Principal')).toBeFocused();
  await expectNamedControls(page);
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
  await expect(opener).toBeFocused();
});

test('a Flink key is scoped to an environment, a cloud and a region', async ({ page }) => {
  const { environmentId, environmentName } = await seedEnvironment();
  await signIn(page);
  await page.goto('/api-keys/new?return=/cloud-api-keys');
  await page.getByLabel('Resource type').selectOption({ label: 'Flink region' });
  const environment = page.getByLabel('Environment');
  await environment.selectOption((await environment.locator('option', { hasText: environmentName }).getAttribute('value'))!);
  await page.getByLabel('Cloud').selectOption('GCP');
  await page.getByLabel('Region').selectOption({ label: 'Iowa (us-central1)' });
  await page.getByRole('button', { name: 'Create' }).click();
  await expect(page.getByText('Flink region gcp.us-central1')).toBeVisible();
  const key = (await page.getByTestId('created-key').textContent()) ?? '';
  const stored = await rest<{ spec: { resource: { id: string; environment: string; kind: string } } }>('GET', `/iam/v2/api-keys/${key}`);
  expect(stored.spec.resource).toMatchObject({ id: 'gcp.us-central1', environment: environmentId, kind: 'Region' });
  await page.getByLabel('I have saved my API key and secret').check();
  await page.getByRole('button', { name: 'Complete' }).click();

  await page.goto(`/environments/${environmentId}?tab=flink`);
  await page.getByLabel('Search').fill('us-central1');
  await page.getByRole('link', { name: 'gcp.us-central1', exact: true }).click();
  await page.getByRole('tab', { name: 'API keys' }).click();
  await expect(page.getByRole('row', { name: new RegExp(key) })).toBeVisible();
});

test('role bindings are added and removed in the console', async ({ page }) => {
  const name = unique('reader');
  const account = await rest<{ id: string }>('POST', '/iam/v2/service-accounts', { display_name: name, description: '' });
  await signIn(page);
  await page.goto('/role-bindings');
  await page.getByRole('button', { name: 'Add role binding' }).click();
  const dialog = page.getByRole('dialog', { name: 'Add role binding' });
  const principal = dialog.getByLabel('Principal');
  await expect(principal.locator('option', { hasText: name })).toHaveCount(1);
  await principal.selectOption(`User:${account.id}`);
  await dialog.getByLabel('Role').selectOption('AuditLogReader');
  await dialog.getByRole('button', { name: 'Add' }).click();
  await expect(dialog).toBeHidden();
  await page.getByLabel('Search').fill(account.id);
  const row = page.getByRole('row', { name: new RegExp(account.id) });
  await expect(row).toContainText('AuditLogReader');
  const bindingId = (await rest<{ data: Array<{ id: string }> }>('GET', `/iam/v2/role-bindings?crn_pattern=crn://confluent.cloud/*&principal=User:${account.id}`)).data[0]!.id;
  await page.getByRole('button', { name: `Delete role binding ${bindingId}` }).click();
  const confirm = page.getByRole('alertdialog');
  await expect(confirm).toContainText('cannot be undone');
  await confirm.getByRole('button', { name: 'Delete role binding' }).click();
  await expect(row).toHaveCount(0);
});

test('the audit log filters by method and result, newest first', async ({ page }) => {
  await rest('POST', '/iam/v2/service-accounts', { display_name: unique('audited'), description: '' });
  const latest = await rest<{ id: string }>('POST', '/iam/v2/service-accounts', { display_name: unique('audited'), description: '' });
  await signIn(page);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit log' }).click();
  await page.getByLabel('Method').fill('CreateServiceAccount');
  await page.getByLabel('Result').selectOption('success');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  const table = page.getByRole('table', { name: 'Audit events' });
  await expect(page).toHaveTitle(/Audit log/);
  await expect(table.locator('td[data-label="Method"]').first()).toHaveText('CreateServiceAccount');
  await expect(table.locator('td[data-label="Resource"]').first()).toContainText(latest.id);
  const methods = await table.getByRole('row').locator('td[data-label="Method"]').allTextContents();
  expect(methods.length).toBeGreaterThan(0);
  expect(new Set(methods)).toEqual(new Set(['CreateServiceAccount']));
  const results = await table.getByRole('row').locator('td[data-label="Result"]').allTextContents();
  expect(new Set(results)).toEqual(new Set(['Success']));
});

test('a session that ends elsewhere sends the user back to sign in, then where they were', async ({ page, context }) => {
  await signIn(page);
  await page.goto('/service-accounts');
  await expect(page.getByRole('heading', { level: 1, name: 'Service accounts' })).toBeVisible();
  // The page's own requests finish first: the session must end between pages, not under this one.
  await page.waitForLoadState('networkidle');
  await context.clearCookies();
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Cloud API keys' }).click();
  await expect(page.getByText('Your session ended. Sign in again to continue.')).toBeVisible();
  await page.getByLabel('Email').fill(process.env.KEYPLANE_E2E_EMAIL!);
  await page.getByLabel('Password').fill(process.env.KEYPLANE_E2E_PASSWORD!);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Cloud API keys' })).toBeVisible();
});
