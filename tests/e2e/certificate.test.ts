// The trust dialog in Debian's Chromium against the HTTPS test server with a self-signed
// certificate: sign-in stops at the certificate, the dialog shows subject, issuer, validity and
// fingerprint, Cancel signs nothing in, Trust signs in and is remembered.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import {
  collectPageProblems,
  ensureRendererBuilt,
  launchBrowser,
  snap,
  startStack,
  type Stack,
} from './helpers.js';

let stack: Stack;
let browser: Browser;
let page: Page;
let problems: string[] = [];

beforeAll(async () => {
  await ensureRendererBuilt();
  stack = await startStack({ tls: { kind: 'self-signed' } });
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.setDefaultTimeout(30_000);
  problems = collectPageProblems(page);
  await page.goto(stack.daemon.signInLink());
});

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

describe('trusting a self-signed server certificate', () => {
  it('asks with the certificate details, and signs in once trusted', async () => {
    const cert = stack.cvat.certificates!;
    await page.getByRole('heading', { name: 'Sign in to CVAT' }).waitFor();
    await page.getByLabel('Server URL').fill(stack.cvat.url);
    await page.getByLabel('Access token', { exact: true }).fill(stack.cvat.users.alice.token);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();

    const dialog = page.getByRole('dialog', { name: 'Untrusted server certificate' });
    await dialog.waitFor();
    const details = dialog.getByLabel('Certificate');
    const text = await details.innerText();
    expect(text).toContain('O=CVAT test server, CN=127.0.0.1');
    expect(text).toMatch(/Issued by\s+O=CVAT test server, CN=127\.0\.0\.1/);
    expect(text).toContain('IP Address:127.0.0.1');
    expect(text).toMatch(/Valid from\s+\d{4}-\d\d-\d\d/);
    expect(text).toMatch(/Valid until\s+\d{4}-\d\d-\d\d/);
    expect(text).toContain(cert.fingerprint.replace('SHA256:', ''));
    expect(await dialog.innerText()).toContain('self-signed');
    await snap(page, 'certificate-trust-dialog');

    // Cancel: nothing is trusted, still signed out.
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByRole('heading', { name: 'Sign in to CVAT' }).waitFor();
    expect(stack.cvat.faults.stats().requests).toBe(0);

    // Again, and trust it.
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Trust this certificate' }).click();
    await page.getByRole('heading', { name: 'Signed in' }).waitFor();
    expect(stack.cvat.faults.stats().requests).toBeGreaterThan(0);
    await snap(page, 'certificate-trusted-signed-in');
    expect(problems).toEqual([]);
  });
});
