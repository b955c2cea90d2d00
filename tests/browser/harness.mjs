// The harness the browser tests share: the real vidya binary started with
// demo data on a free loopback port, headless Chromium (Debian's, not a
// downloaded build), and a scenario helper that saves a screenshot when a
// test fails.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

// results is where screenshots go (git-ignored).
export const results = join(dirname(fileURLToPath(import.meta.url)), 'test-results');

// PHONE is the viewport the tests use unless they say otherwise.
export const PHONE = { width: 360, height: 740 };

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

// startVidya runs "$VIDYA_BIN serve --demo" with a fresh data directory (a
// temporary one named with prefix) on a free port, env added to its
// environment, and waits up to readyMs for /readyz. It returns the base
// URL, log() (the last 20,000 characters the server wrote) and stop(),
// which ends the server (SIGTERM, SIGKILL after 10 s) and removes the data.
export async function startVidya({ prefix = 'vidya-browser-', env = {}, readyMs = 60000 } = {}) {
  const bin = process.env.VIDYA_BIN;
  assert.ok(bin, 'set VIDYA_BIN to a vidya binary, e.g. go build -o /tmp/vidya ./cmd/vidya');
  const dataDir = await mkdtemp(join(tmpdir(), prefix));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const server = spawn(bin, ['serve', '--demo'], {
    env: { ...process.env, ...env, VIDYA_DATA_DIR: dataDir, VIDYA_LISTEN: `127.0.0.1:${port}`, VIDYA_BASE_URL: base },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let serverLog = '';
  const keep = (d) => {
    serverLog = (serverLog + d).slice(-20000);
  };
  server.stdout.on('data', keep);
  server.stderr.on('data', keep);
  const stop = async () => {
    if (server.exitCode === null && server.signalCode === null) {
      server.kill('SIGTERM');
      const t = setTimeout(() => server.kill('SIGKILL'), 10000);
      await once(server, 'exit');
      clearTimeout(t);
    }
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    await waitReady(server, base, readyMs, () => serverLog);
  } catch (err) {
    await stop();
    throw err;
  }
  return { base, log: () => serverLog, stop };
}

async function waitReady(server, base, deadlineMs, log) {
  const until = Date.now() + deadlineMs;
  let last = '';
  while (Date.now() < until) {
    if (server.exitCode !== null) {
      throw new Error(`vidya exited with ${server.exitCode} before it was ready:\n${log()}`);
    }
    try {
      const res = await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(2000) });
      if (res.status === 200) return;
      last = `status ${res.status}`;
    } catch (err) {
      last = String(err);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`vidya was not ready within ${deadlineMs} ms (${last}):\n${log()}`);
}

export function launchChromium() {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

// useVidya registers the test file's before and after hooks: before starts
// vidya (prefix and env as for startVidya), awaits ready(base) if given
// (e.g. to set data up through the API), then launches Chromium; after
// closes the browser and stops the server. It returns an object whose
// base, browser and log() are set once the before hook has run. Set
// anything else up in ready, not in a before hook of your own: Node 20
// starts top-level before hooks without waiting for the earlier ones.
export function useVidya({ ready, ...options } = {}) {
  const app = { base: undefined, browser: undefined, log: () => '' };
  let vidya;
  before(async () => {
    vidya = await startVidya(options);
    app.base = vidya.base;
    app.log = vidya.log;
    await ready?.(vidya.base);
    app.browser = await launchChromium();
  });
  after(async () => {
    await app.browser?.close();
    await vidya?.stop();
  });
  return app;
}

function slug(s) {
  return s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
}

// pageScenario returns scenario(name, fn, contextOptions), which declares a
// test that runs fn(page, t) with a page in a fresh context (at the PHONE
// viewport in en-US unless contextOptions say otherwise) of app's browser.
// The test fails if the browser reported errors (CSP violations included)
// other than those matching ignore; on failure a full-page screenshot is
// saved in test-results/.
export function pageScenario(app, { ignore } = {}) {
  return function scenario(name, fn, contextOptions = {}) {
    test(name, async (t) => {
      const context = await app.browser.newContext({ viewport: PHONE, locale: 'en-US', ...contextOptions });
      const page = await context.newPage();
      const problems = [];
      page.on('console', (m) => {
        if (m.type() === 'error') problems.push(m.text());
      });
      page.on('pageerror', (e) => problems.push(String(e)));
      try {
        await fn(page, t);
        assert.deepEqual(problems.filter((m) => !ignore?.test(m)), [], 'the browser reported errors');
      } catch (err) {
        await mkdir(results, { recursive: true });
        await page.screenshot({ path: join(results, `${slug(name)}.png`), fullPage: true }).catch(() => {});
        throw err;
      } finally {
        await context.close();
      }
    });
  };
}
