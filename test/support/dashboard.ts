import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import type { SlipwayUnderTest, SshKey } from './slipway.js';

/** A URL of the dashboard's host, through Slipway's nginx. */
export const dashboardUrl = (slipway: SlipwayUnderTest, urlPath: string) =>
  `http://slipway.${slipway.domain}:${slipway.httpPort}${urlPath}`;

/** Debian's headless Chromium, to which the dashboard host resolves to this machine. */
export function launchBrowser(slipway: SlipwayUnderTest): Promise<Browser> {
  return puppeteer.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', `--host-resolver-rules=MAP slipway.${slipway.domain} 127.0.0.1`],
  });
}

/** Logs in with the token on the login page, as a person types it. */
export async function logIn(slipway: SlipwayUnderTest, page: Page, token: string): Promise<void> {
  await page.goto(dashboardUrl(slipway, '/login'));
  await page.type('#token', token);
  await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
}

/** A command over SSH that must succeed: what it printed on stdout. */
export async function sshOrThrow(
  slipway: SlipwayUnderTest,
  command: string[],
  options: { key?: SshKey; input?: string } = {},
): Promise<string> {
  const done = await slipway.ssh(command, options);
  if (done.code !== 0) throw new Error(`${command.join(' ')}: ${done.output}`);
  return done.stdout;
}

/** tokens:create over SSH: the token is the last line it prints. */
export const makeToken = async (slipway: SlipwayUnderTest, name: string, key?: SshKey, extra: string[] = []) =>
  (await sshOrThrow(slipway, ['tokens:create', name, ...extra], { key })).trim().split('\n').at(-1)!;

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
