// Browser helpers: Debian's Chromium driven by playwright-core, one context per user.
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { ROOT } from './system.mjs';
import { DEADLINE_MS, eventually } from './wait.mjs';

export const PASSWORD = 'demo-password';
export const SCREENSHOTS = path.join(ROOT, 'artifacts/screenshots');

export async function launchBrowser() {
  const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!fs.existsSync(executablePath)) throw new Error(`${executablePath} is missing: ./chat test installs Debian's chromium package`);
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  return chromium.launch({
    executablePath,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
      '--disable-renderer-backgrounding',
      '--disable-background-timer-throttling',
      '--disable-backgrounding-occluded-windows',
    ],
  });
}

/** A user's browser window: a fresh context (own storage), its page, and what the page logged. */
export class UserWindow {
  static async open(browser, baseUrl, { viewport = { width: 1280, height: 800 } } = {}) {
    const context = await browser.newContext({ viewport, deviceScaleFactor: 1, locale: 'en-US', timezoneId: 'UTC' });
    context.setDefaultTimeout(DEADLINE_MS);
    const page = await context.newPage();
    const w = new UserWindow(context, page, baseUrl);
    page.on('pageerror', (error) => w.errors.push(`pageerror: ${error.message}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error') w.console.push(msg.text());
    });
    page.on('dialog', (dialog) => {
      w.errors.push(`unexpected dialog: ${dialog.message()}`);
      void dialog.dismiss();
    });
    return w;
  }

  constructor(context, page, baseUrl) {
    this.context = context;
    this.page = page;
    this.baseUrl = baseUrl;
    this.errors = [];
    this.console = [];
  }

  async login(username, password = PASSWORD) {
    const page = this.page;
    await page.goto(this.baseUrl);
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('.sidebar').waitFor();
    await this.waitConnected();
  }

  async waitConnected() {
    await this.page.waitForFunction(() => window.chatDebug?.connection() === 'connected', null, { timeout: DEADLINE_MS });
    await this.page.locator('.inbox-item').first().waitFor();
  }

  /** The token the page signed in with, for API calls made by the test itself. */
  async token() {
    return this.page.evaluate(() => localStorage.getItem('chat.token'));
  }

  inboxItem(name) {
    return this.page.locator('.inbox-item').filter({ has: this.page.locator('.inbox-name', { hasText: name }) });
  }

  async open(name) {
    await this.inboxItem(name).first().click();
    await this.page.locator('.conversation-title h1', { hasText: name }).waitFor();
    await this.page.locator('.message-list').waitFor();
  }

  composer() {
    return this.page.getByRole('textbox', { name: 'Message', exact: true });
  }

  async send(text) {
    await this.composer().fill(text);
    await this.composer().press('Enter');
    await this.message(text).waitFor();
    await eventually(async () => (await this.page.locator('[data-pending]').count()) === 0, { what: `"${text}" to be sent` });
  }

  /** A delivered message (not a pending one) whose text contains `text`. */
  message(text) {
    return this.page.locator('.message[data-message-id]').filter({ has: this.page.locator('.message-content', { hasText: text }) }).last();
  }

  async screenshot(name) {
    await this.page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`) });
  }

  async close() {
    await this.context.close().catch(() => {});
  }
}

/** Calls the REST API as a user (for setup that is not what a test is about). */
export async function apiCall(baseUrl, token, method, route, body) {
  const response = await fetch(new URL(route, baseUrl), {
    method,
    headers: { Authorization: `Bearer ${token}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${route}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

export async function apiLogin(baseUrl, username, password = PASSWORD) {
  const response = await fetch(new URL('/api/auth/login', baseUrl), {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (!response.ok) throw new Error(`login ${username}: ${response.status} ${await response.text()}`);
  return (await response.json()).token;
}
