// Shared browser helpers for the end-to-end tests.
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BASE_URL = process.env.BASE_URL ?? 'http://127.0.0.1:3000';
export const ADMIN_USER = process.env.ADMIN_USER ?? 'admin';
export const ADMIN_PASSWORD = process.env.ADMIN_PASSWORD ?? '';
// The user account foundation.test.mjs creates (later files sign in as it).
export const USER_NAME = 'erin';
export const USER_PASSWORD = 'erin-has-a-long-password';
const shots = join(dirname(fileURLToPath(import.meta.url)), '..', 'screenshots');

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
}

/// Waits until the wasm bundle has hydrated the page (the app marks <body>).
export async function hydrated(page) {
  await page.waitForSelector('body[data-hydrated="true"]', { timeout: 30_000 });
}

export async function screenshot(page, name) {
  mkdirSync(shots, { recursive: true });
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
}

/// Signs in on the sign-in page of `baseUrl` and waits until the page has left it (for
/// `lands`, the page it must land on, e.g. the password page after a one-time password).
export async function signIn(page, user, password, { baseUrl = BASE_URL, lands = null } = {}) {
  await page.goto(`${baseUrl}/login`);
  await hydrated(page);
  await page.getByLabel('Username').fill(user);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(
    (u) => (lands ? u.pathname === lands : !u.pathname.startsWith('/login')),
    { timeout: 15_000 },
  );
  await hydrated(page);
}

export async function signOut(page) {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL((u) => u.pathname.startsWith('/login'), { timeout: 15_000 });
}

/// On the "Change password" page (where a one-time password leads), changes `current` to
/// `next`. With `oneTime` the page then goes on to the dashboard.
export async function changePassword(page, current, next, { oneTime = false } = {}) {
  await page.waitForURL((u) => u.pathname === '/account/password', { timeout: 15_000 });
  await hydrated(page);
  const form = page.getByTestId('change-password-form');
  await form.getByLabel('Current password').fill(current);
  await form.getByLabel('New password', { exact: true }).fill(next);
  await form.getByLabel('Repeat new password').fill(next);
  await form.getByRole('button', { name: 'Change password' }).click();
  if (oneTime) {
    // On to the home page, with the whole navigation back.
    await page.waitForURL((u) => u.pathname === '/', { timeout: 15_000 });
    await page.locator('main h1').first().waitFor();
    await page.locator('nav.sidebar a[href="/"]').waitFor();
  } else {
    await page.getByTestId('password-changed').waitFor();
  }
}
