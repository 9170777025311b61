import { expect, rest, seedEnvironment, signIn, test, unique } from './support';

test('an invited user sets a password from the one-time link and sees only what their roles allow', async ({ page, browser }) => {
  const mine = await seedEnvironment(unique('team-env'));
  const theirs = await seedEnvironment(unique('other-env'));
  const email = `${unique('dev')}@example.com`;
  const password = 'correct horse battery staple';

  let link = '';
  await test.step('an admin invites the user and copies the invite link', async () => {
    await signIn(page);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Users & invitations' }).click();
    await page.getByRole('button', { name: 'Invite user' }).click();
    const invite = page.getByRole('dialog', { name: 'Invite user' });
    await invite.getByLabel('Email').fill(email);
    await invite.getByRole('button', { name: 'Invite' }).click();
    const linkDialog = page.getByRole('dialog', { name: `Invite link for ${email}` });
    link = await linkDialog.getByLabel('Invite link').inputValue();
    expect(link).toMatch(/\/accept-invitation#token=[A-Za-z0-9_-]+$/);
    await linkDialog.getByRole('button', { name: 'Copy' }).click();
    await expect(linkDialog.getByRole('status')).toHaveText('Invite link copied to the clipboard.');
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(link);
    await linkDialog.getByRole('button', { name: 'Done' }).click();
    await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit log' })).toBeVisible();
    await expect(page.getByRole('table', { name: 'Invitations' }).getByRole('row', { name: new RegExp(email) })).toContainText('Sent');
  });

  await test.step('the admin gives the user a role in one environment through the REST API', async () => {
    const invitations = await rest<{ data: Array<{ user: { id: string } }> }>('GET', `/iam/v2/invitations?email=${encodeURIComponent(email)}`);
    const userId = invitations.data[0]!.user.id;
    const environment = await rest<{ metadata: { resource_name: string } }>('GET', `/org/v2/environments/${mine.environmentId}`);
    await rest('POST', '/iam/v2/role-bindings', {
      principal: `User:${userId}`,
      role_name: 'EnvironmentAdmin',
      crn_pattern: environment.metadata.resource_name,
    });
  });

  const context = await browser.newContext({ baseURL: process.env.KEYPLANE_E2E_URL });
  const user = await context.newPage();
  await test.step('the user accepts the invitation', async () => {
    await user.goto(link);
    await expect(user.getByTestId('invited-email')).toHaveText(email);
    expect(new URL(user.url()).hash).toBe('');
    await user.getByLabel('Full name (optional)').fill('Dana Developer');
    await user.getByLabel('Password', { exact: true }).fill(password);
    await user.getByLabel('Confirm password').fill(password);
    await user.getByRole('button', { name: 'Set password and sign in' }).click();
    await expect(user.getByRole('heading', { level: 1, name: 'Environments' })).toBeVisible();
    await expect(user.getByRole('link', { name: 'Dana Developer' })).toBeVisible();
  });

  await test.step('the link works once', async () => {
    const again = await context.newPage();
    await again.goto(link);
    await expect(again.getByRole('alert')).toBeVisible();
    await expect(again.getByLabel('Password', { exact: true })).toHaveCount(0);
    await again.close();
  });

  await test.step('the user signs out and back in with the new password', async () => {
    await user.getByRole('button', { name: 'Sign out' }).click();
    await expect(user.getByRole('heading', { name: 'Sign in' })).toBeVisible();
    await signIn(user, email, password);
  });

  await test.step('the user sees their environment and its cluster, not the other one', async () => {
    const table = user.getByRole('table', { name: 'Environments' });
    await expect(table.getByRole('link', { name: mine.environmentName })).toBeVisible();
    await expect(table.getByRole('link', { name: theirs.environmentName })).toHaveCount(0);
    await table.getByRole('link', { name: mine.environmentName }).click();
    await expect(user.getByRole('link', { name: mine.clusterName, exact: true })).toBeVisible();

    await user.goto(`/environments/${theirs.environmentId}`);
    await expect(user.getByRole('alert')).toBeVisible();
    await expect(user.getByRole('link', { name: theirs.clusterName, exact: true })).toHaveCount(0);
  });

  await test.step('administration the role does not cover answers with the API\'s refusal in place', async () => {
    await expect(user.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Environments' })).toBeVisible();
    await expect(user.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit log' })).toHaveCount(0);
    await user.goto('/audit-log');
    await expect(user.getByRole('heading', { level: 1, name: 'Audit log' })).toBeVisible();
    await expect(user.getByRole('alert')).toBeVisible();
    await expect(user.getByRole('table', { name: 'Audit events' })).toHaveCount(0);
  });

  await test.step('the user changes their password', async () => {
    const changed = 'a longer passphrase for dana';
    await user.getByRole('link', { name: 'My account' }).click();
    await user.getByLabel('Current password').fill('not my password at all');
    await user.getByLabel('New password', { exact: true }).fill(changed);
    await user.getByLabel('Confirm new password').fill(changed);
    await user.getByRole('button', { name: 'Change password' }).click();
    await expect(user.getByRole('alert')).toBeVisible();
    await user.getByLabel('Current password').fill(password);
    await user.getByRole('button', { name: 'Change password' }).click();
    await expect(user.getByRole('status').filter({ hasText: 'Your password was changed.' })).toBeVisible();
    await user.getByRole('button', { name: 'Sign out' }).first().click();
    await signIn(user, email, changed);
  });
  await context.close();
});
