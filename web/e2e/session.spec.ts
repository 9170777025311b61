import { expect, rest, signIn, test, unique } from './support';

test('a sign-out the server refuses keeps the user signed in and says why', async ({ page }) => {
  await signIn(page);
  await page.goto('/service-accounts');
  // The server cannot be made to refuse a sign-out with a valid token, so the answer is stood in for.
  await page.route('**/console/v1/sign-out', (route) =>
    route.fulfill({
      status: 403,
      contentType: 'application/json',
      body: JSON.stringify({ errors: [{ status: '403', code: 'csrf_token_invalid', detail: 'The request comes from another origin than this server' }] }),
    }),
  );
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByRole('alert')).toHaveText('You are still signed in: The request comes from another origin than this server');
  await expect(page.getByRole('heading', { level: 1, name: 'Service accounts' })).toBeVisible();
  expect(await page.evaluate(async () => (await fetch('/console/v1/session')).status)).toBe(200);

  await page.unroute('**/console/v1/sign-out');
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
  expect(await page.evaluate(async () => (await fetch('/console/v1/session')).status)).toBe(401);
});

test('signing in again in another tab does not break changes in this one', async ({ page, context }) => {
  await signIn(page);
  await page.goto('/service-accounts');
  await expect(page.getByRole('heading', { level: 1, name: 'Service accounts' })).toBeVisible();
  // A second sign-in replaces the shared cookie: this tab's CSRF token belongs to the old session.
  const other = await context.newPage();
  await other.goto('/environments');
  const status = await other.evaluate(
    async ([email, password]) =>
      (
        await fetch('/console/v1/sign-in', {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ email, password }),
        })
      ).status,
    [process.env.KEYPLANE_E2E_EMAIL!, process.env.KEYPLANE_E2E_PASSWORD!],
  );
  expect(status).toBe(200);
  await other.close();

  const answers: number[] = [];
  page.on('response', (response) => {
    if (response.request().method() === 'POST' && new URL(response.url()).pathname === '/iam/v2/service-accounts') answers.push(response.status());
  });
  const name = unique('after-resign-in');
  await page.getByRole('button', { name: 'Add service account' }).click();
  const dialog = page.getByRole('dialog', { name: 'Add service account' });
  await dialog.getByLabel('Name').fill(name);
  await dialog.getByRole('button', { name: 'Add' }).click();
  await expect(dialog).toBeHidden();
  const found = await rest<{ data: unknown[] }>('GET', `/iam/v2/service-accounts?display_name=${encodeURIComponent(name)}`);
  expect(found.data).toHaveLength(1);
  // Refused once for the stale token, then made with the new one after reading the session.
  expect(answers).toEqual([403, 201]);
});

test('Sign out on the secret step asks first', async ({ page }) => {
  await signIn(page);
  await page.goto('/api-keys/new?resource=cloud');
  await page.getByRole('button', { name: 'Create' }).click();
  const secret = (await page.getByTestId('created-secret').textContent()) ?? '';
  expect(secret).toMatch(/^cflt/);

  await page.getByRole('banner').getByRole('button', { name: 'Sign out' }).click();
  const warning = page.getByRole('alertdialog', { name: 'Leave without saving the secret?' });
  await expect(warning).toBeVisible();
  await warning.getByRole('button', { name: 'Stay' }).click();
  await expect(warning).toBeHidden();
  await expect(page.getByTestId('created-secret')).toHaveText(secret);
  expect(await page.evaluate(async () => (await fetch('/console/v1/session')).status)).toBe(200);

  await page.getByRole('banner').getByRole('button', { name: 'Sign out' }).click();
  await warning.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
  expect(await page.content()).not.toContain(secret);
  expect(await page.evaluate(async () => (await fetch('/console/v1/session')).status)).toBe(401);
});

test('a next path with a backslash is refused, not followed', async ({ page }) => {
  await page.goto('/sign-in?next=%2F%5Cexample.com');
  await page.getByLabel('Email').fill(process.env.KEYPLANE_E2E_EMAIL!);
  await page.getByLabel('Password').fill(process.env.KEYPLANE_E2E_PASSWORD!);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Environments' })).toBeVisible();
  await expect(page).toHaveURL(/\/environments$/);
});
