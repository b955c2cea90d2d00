// Browser tests of Vidya's pages: headless Chromium (Debian's, not a
// downloaded build) against the real server binary started with demo data.
//
//   go build -o /tmp/vidya ./cmd/vidya
//   cd tests/browser && npm install && VIDYA_BIN=/tmp/vidya npm test
//
// Every test gets a fresh browser context at a 360×740 phone viewport. On
// failure a full-page screenshot is saved in test-results/.

import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PHONE, results, useVidya, pageScenario } from './harness.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const PASSWORD = 'vidya-demo-pass';

const app = useVidya({ prefix: 'vidya-browser-' });
// Some pages answer 4xx on purpose (a wrong password, a refused form).
const scenario = pageScenario(app, { ignore: /responded with a status of 4\d\d/ });

function unique(prefix) {
  return `${prefix}${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;
}

async function signIn(page, email, password = PASSWORD) {
  await page.goto(`${app.base}/signin`);
  await page.getByLabel('E-mail', { exact: true }).fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${app.base}/`);
}

async function h1(page) {
  return (await page.locator('h1').textContent()).trim();
}

scenario('sign-up of a new learner lands signed in', async (page) => {
  const email = `${unique('learner-')}@example.org`;
  await page.goto(`${app.base}/`);
  await page.getByRole('link', { name: 'Create an account' }).click();
  await page.waitForURL(`${app.base}/signup`);
  await page.getByLabel('Name', { exact: true }).fill('Kavya Sharma');
  await page.getByLabel('E-mail', { exact: true }).fill(email);
  await page.getByLabel('Password', { exact: true }).fill('short');
  // The length rule is the server's; its message appears beside the field.
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.locator('#f-password-err').waitFor();
  assert.match(await page.locator('#f-password-err').textContent(), /at least 10 characters/);
  assert.equal(await page.getByLabel('E-mail', { exact: true }).inputValue(), email);

  await page.getByLabel('Password', { exact: true }).fill('a long enough password');
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.waitForURL(`${app.base}/`);
  assert.equal(await h1(page), 'Hello, Kavya Sharma');
  assert.match(await page.getByRole('status').textContent(), /Welcome, Kavya Sharma/);
  assert.ok(await page.getByRole('button', { name: 'Sign out' }).isVisible());

  await page.getByRole('link', { name: 'Account', exact: true }).click();
  await page.waitForURL(`${app.base}/account`);
  assert.match(await page.locator('main').textContent(), new RegExp(email.replace(/[.]/g, '\\.')));
});

scenario('sign-in with a demo user shows their authority and role', async (page) => {
  await signIn(page, 'learner1@demo.vidya.test');
  assert.match(await h1(page), /^Hello, /);
  const main = await page.locator('main').textContent();
  assert.match(main, /DEMO/);
  assert.match(main, /Learner/);
  // Admin links are not offered to a learner, and admin pages are not found.
  assert.equal(await page.getByRole('link', { name: 'Manage users' }).count(), 0);
  const res = await page.goto(`${app.base}/admin/authorities`);
  assert.equal(res.status(), 404);

  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL(`${app.base}/`);
  assert.match(await page.getByRole('status').textContent(), /signed out/);
});

scenario('a wrong password shows the message and keeps the e-mail', async (page) => {
  await page.goto(`${app.base}/signin`);
  await page.getByLabel('E-mail', { exact: true }).fill('author@demo.vidya.test');
  await page.getByLabel('Password', { exact: true }).fill('not-the-password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  const alert = page.getByRole('alert');
  await alert.waitFor();
  assert.match(await alert.textContent(), /Wrong e-mail or password/);
  assert.equal(await page.getByLabel('E-mail', { exact: true }).inputValue(), 'author@demo.vidya.test');
  assert.equal(await page.getByLabel('Password', { exact: true }).inputValue(), '');
  assert.equal(new URL(page.url()).pathname, '/signin');
});

scenario('the Hindi switch renders Devanagari', async (page, t) => {
  const fonts = [];
  page.on('request', (r) => {
    if (r.resourceType() === 'font') fonts.push(r.url());
  });
  await page.goto(`${app.base}/signin`);
  await page.waitForLoadState('networkidle');
  assert.equal(await page.getAttribute('html', 'lang'), 'en');
  assert.deepEqual(fonts, [], 'a Latin-only page downloaded a font');

  await page.getByRole('link', { name: 'हिन्दी' }).click();
  await page.waitForURL(`${app.base}/signin`);
  await page.evaluate(() => document.fonts.ready);
  assert.equal(await page.getAttribute('html', 'lang'), 'hi');
  assert.equal(await h1(page), 'साइन इन करें');
  assert.equal((await page.getByLabel('पासवर्ड', { exact: true }).count()), 1);

  // The heading's glyphs come from a Devanagari font, not fallback boxes.
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('DOM.enable');
  await cdp.send('CSS.enable');
  const { root } = await cdp.send('DOM.getDocument');
  const { nodeId } = await cdp.send('DOM.querySelector', { nodeId: root.nodeId, selector: 'h1' });
  const { fonts: used } = await cdp.send('CSS.getPlatformFontsForNode', { nodeId });
  t.diagnostic(`h1 fonts: ${JSON.stringify(used)}`);
  assert.ok(used.some((f) => /devanagari/i.test(f.familyName) && f.glyphCount > 0), `no Devanagari font used: ${JSON.stringify(used)}`);

  // A Hindi string is drawn differently from the same number of
  // unassigned code points (which can only be drawn as boxes).
  const widths = await page.evaluate(() => {
    const h = document.querySelector('h1');
    const measure = (text) => {
      const s = document.createElement('span');
      s.textContent = text;
      h.append(s);
      const w = s.getBoundingClientRect().width;
      s.remove();
      return w;
    };
    const hindi = 'परीक्षा प्रमाणपत्र';
    const tofu = [...hindi].map((c) => (c === ' ' ? ' ' : '\u0378')).join('');
    return { hindi: measure(hindi), tofu: measure(tofu) };
  });
  t.diagnostic(`widths: ${JSON.stringify(widths)}`);
  assert.ok(widths.hindi > 0);
  assert.ok(Math.abs(widths.hindi - widths.tofu) > 2, `Hindi is as wide as boxes: ${JSON.stringify(widths)}`);

  const box = await page.locator('h1').boundingBox();
  assert.ok(box.width > 0 && box.height > 0);
  await mkdir(results, { recursive: true });
  const png = await page.locator('h1').screenshot({ path: join(results, 'hindi-h1.png') });
  assert.ok(png.length > 500, 'the heading screenshot is empty');

  // Our vendored copy decodes as a font (phones without a Devanagari font
  // get it through the @font-face url()).
  const css = await (await fetch(`${app.base}${await page.getAttribute('link[rel=stylesheet]', 'href')}`)).text();
  for (const [, url] of css.matchAll(/url\((\/static\/fonts\/[^)]+)\)/g)) {
    const status = await page.evaluate(async (u) => {
      const f = new FontFace('Probe', `url(${u})`);
      await f.load();
      return f.status;
    }, url);
    assert.equal(status, 'loaded', url);
  }
  // The face declared in the stylesheet loads (from the phone or our copy).
  const loaded = await page.evaluate(async () => (await document.fonts.load('700 20px "Vidya Devanagari"', 'क')).length);
  assert.ok(loaded > 0, 'the Vidya Devanagari font face did not load');
});

scenario('the sign-in page fits a phone, in English and Hindi', async (page, t) => {
  await mkdir(results, { recursive: true });
  for (const lang of ['en', 'hi']) {
    await page.goto(`${app.base}/lang/${lang}?next=/signin`);
    await page.evaluate(() => document.fonts.ready);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `${lang}: the page scrolls sideways by ${overflow}px`);
    await page.screenshot({ path: join(results, `signin-${lang}.png`) });
    t.diagnostic(`saved test-results/signin-${lang}.png`);
  }
  // Keyboard users see where they are.
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.className), 'skip');
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  assert.notEqual(outline, 'none');
});

scenario('the sign-in page is light', async (page, t) => {
  // A first visit each: a fresh context (empty cache), the language chosen
  // by the browser's Accept-Language.
  for (const [lang, locale] of [['en', 'en-US'], ['hi', 'hi-IN']]) {
    const context = await app.browser.newContext({ viewport: PHONE, locale });
    try {
      const p = await context.newPage();
      const seen = [];
      p.on('requestfinished', async (req) => {
        const s = await req.sizes();
        seen.push({ url: req.url(), type: req.resourceType(), transfer: s.responseBodySize + s.responseHeadersSize, body: s.responseBodySize });
      });
      await p.goto(`${app.base}/signin`);
      await p.waitForLoadState('networkidle');
      assert.equal(await p.getAttribute('html', 'lang'), lang);
      const total = seen.reduce((n, r) => n + r.transfer, 0);
      const report = [];
      for (const r of seen) {
        const raw = (await (await fetch(r.url, { headers: { 'Accept-Language': locale } })).arrayBuffer()).byteLength;
        report.push(`${r.type} ${new URL(r.url).pathname}: ${raw} B raw, ${r.body} B on the wire`);
        if (r.type === 'document') assert.ok(raw < 15 * 1024, `${lang} HTML is ${raw} B`);
        if (r.type === 'stylesheet') assert.ok(raw < 10 * 1024, `CSS is ${raw} B`);
      }
      t.diagnostic(`sign-in (${lang}) first load: ${seen.length} requests, ${total} B transferred incl. headers; ${report.join('; ')}`);
      assert.ok(total < 20 * 1024, `${lang} first load is ${total} B`);
    } finally {
      await context.close();
    }
  }
  // What a phone without any Devanagari font would add on a Hindi page.
  await page.goto(`${app.base}/signin`);
  const css = await (await fetch(`${app.base}${await page.getAttribute('link[rel=stylesheet]', 'href')}`)).text();
  const fonts = [...css.matchAll(/url\((\/static\/fonts\/[^)]+)\)/g)].map((m) => m[1]);
  assert.equal(fonts.length, 2);
  for (const f of fonts) {
    const b = (await (await fetch(app.base + f)).arrayBuffer()).byteLength;
    t.diagnostic(`font ${f}: ${b} B (fetched only by Hindi pages on phones without a Devanagari font)`);
  }
});

scenario('a platform admin creates an authority; its admin adds a user who is listed', async (page) => {
  const code = unique('PW').toUpperCase().slice(0, 20);
  const adminEmail = `${unique('boss-')}@example.org`;
  const learnerEmail = `${unique('pupil-')}@example.org`;

  await signIn(page, 'platform@demo.vidya.test');
  await page.getByRole('link', { name: 'Authorities' }).first().click();
  await page.waitForURL(`${app.base}/admin/authorities`);
  await page.getByLabel('Code', { exact: true }).fill(code);
  await page.getByLabel('Authority name', { exact: true }).fill('Playwright State Board');
  await page.getByLabel('Contact e-mail', { exact: true }).fill('office@board.example');
  await page.getByLabel('Contact phone', { exact: true }).fill('+91 11 2345 6789');
  await page.getByRole('button', { name: 'Create authority' }).click();
  await page.getByText(`Authority ${code} has been created.`).waitFor();
  await page.getByRole('link', { name: code, exact: true }).click();
  await page.waitForURL(`${app.base}/a/${code}`);
  assert.equal(await h1(page), `Playwright State Board ${code}`);

  // The platform admin makes the authority's first administrator.
  await page.getByRole('link', { name: 'Manage users' }).click();
  await page.waitForURL(`${app.base}/a/${code}/users`);
  await page.getByLabel('E-mail', { exact: true }).fill(adminEmail);
  await page.getByLabel('Name', { exact: true }).fill('Board Boss');
  await page.getByLabel('First password (optional)').fill('boss password 123');
  await page.getByLabel('Administrator', { exact: true }).check();
  await page.getByRole('button', { name: 'Add user' }).click();
  await page.getByText(`${adminEmail} has been added.`).waitFor();
  assert.equal(await page.getByRole('row', { name: new RegExp(adminEmail.replace(/[.]/g, '\\.')) }).count(), 1);

  // That administrator signs in on another device and adds a learner.
  const other = await app.browser.newContext({ viewport: PHONE, locale: 'en-US' });
  const p2 = await other.newPage();
  try {
    await signIn(p2, adminEmail, 'boss password 123');
    await p2.getByRole('link', { name: 'Manage users' }).click();
    await p2.waitForURL(`${app.base}/a/${code}/users`);
    await p2.getByLabel('E-mail', { exact: true }).fill(learnerEmail);
    await p2.getByLabel('Name', { exact: true }).fill('Pupil One');
    await p2.getByLabel('Learner', { exact: true }).check();
    await p2.getByRole('button', { name: 'Add user' }).click();
    await p2.getByText(`${learnerEmail} has been added.`).waitFor();
    const row = p2.getByRole('row', { name: new RegExp(learnerEmail.replace(/[.]/g, '\\.')) });
    assert.equal(await row.count(), 1);
    assert.match(await row.textContent(), /Pupil One.*Learner/s);
  } catch (err) {
    await mkdir(results, { recursive: true });
    await p2.screenshot({ path: join(results, 'authority-admin-adds-user.png'), fullPage: true }).catch(() => {});
    throw err;
  } finally {
    await other.close();
  }
});

scenario('an author previews and imports a GIFT file', async (page) => {
  await signIn(page, 'author@demo.vidya.test');
  await page.getByRole('link', { name: 'Item bank' }).first().click();
  await page.waitForURL(`${app.base}/a/DEMO/items`);
  await page.getByRole('link', { name: 'Import a file' }).click();
  await page.waitForURL(`${app.base}/a/DEMO/items/import`);
  await page.getByLabel('Item file').setInputFiles(join(here, 'fixtures', 'physics.gift'));
  await page.getByRole('button', { name: 'Check the file' }).click();
  await page.getByText('This is a preview: nothing has been imported yet.').waitFor();
  const report = await page.locator('table.report').textContent();
  assert.match(report, /PW-GIFT-1 refraction/);
  await page.getByRole('button', { name: 'Import now' }).click();
  await page.getByText('The items have been imported as drafts.').waitFor();
  await page.getByRole('link', { name: 'Go to the item bank' }).click();
  await page.waitForURL(`${app.base}/a/DEMO/items`);
  await page.getByRole('link', { name: 'PW-GIFT-1 refraction' }).first().click();
  await page.locator('.phone').waitFor();
  assert.match(await page.locator('.phone').textContent(), /Light bends/);
  // A page without maths does not fetch KaTeX.
  const katex = await page.evaluate(() => performance.getEntriesByType('resource').filter((e) => /katex/.test(e.name)).length);
  assert.equal(katex, 0, 'a page without maths downloaded KaTeX');
});

scenario('a bilingual item previews in English and Hindi, with typeset maths', async (page, t) => {
  const csp = [];
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) csp.push(m.text());
  });
  await signIn(page, 'author@demo.vidya.test');
  await page.goto(`${app.base}/a/DEMO/items/import`);
  await page.getByLabel('Item file').setInputFiles(join(here, 'fixtures', 'bilingual.csv'));
  await page.getByLabel('Import only the valid items', { exact: false }).check();
  await page.getByRole('button', { name: 'Check the file' }).click();
  await page.getByRole('button', { name: 'Import now' }).click();
  await page.getByText('The items have been imported as drafts.').waitFor();
  const href = await page.locator('table.report a[href^="/a/DEMO/items/"]').first().getAttribute('href');
  const seen = [];
  page.on('requestfinished', async (req) => {
    const s = await req.sizes();
    seen.push({ url: new URL(req.url()).pathname, body: s.responseBodySize });
  });
  await page.goto(`${app.base}${href}`);
  await page.locator('.phone .katex').first().waitFor();
  assert.equal(await page.locator('.phone').getAttribute('lang'), 'en');
  assert.match(await page.locator('.phone').textContent(), /What is/);
  assert.ok((await page.locator('.phone .katex').count()) >= 2, 'the maths was not typeset');
  // KaTeX's fonts come from our hashed URLs.
  await page.evaluate(() => document.fonts.ready);
  // The question's own language toggle, not the interface's switch.
  await page.locator('nav.langs').getByRole('link', { name: 'हिन्दी' }).click();
  await page.waitForURL(/lang=hi/);
  await page.locator('.phone .katex').first().waitFor();
  assert.equal(await page.locator('.phone').getAttribute('lang'), 'hi');
  assert.match(await page.locator('.phone').textContent(), /का मान क्या है/);
  assert.match(await page.locator('.phone').textContent(), /नौ/);
  // The page itself stays in English: only the question switched.
  assert.equal(await page.getAttribute('html', 'lang'), 'en');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the item page scrolls sideways by ${overflow}px`);
  assert.deepEqual(csp, [], 'CSP violations');
  const doc = seen.find((r) => /^\/a\/DEMO\/items\/\d+$/.test(r.url));
  assert.ok(doc, 'the item page was not fetched');
  t.diagnostic(`item page with maths: ${seen.length} requests; ${seen.map((r) => `${r.url} ${r.body} B`).join('; ')}`);
  await mkdir(results, { recursive: true });
  await page.screenshot({ path: join(results, 'item-preview-hi.png'), fullPage: true });
});

scenario('the editor previews maths live and saves a draft', async (page) => {
  await signIn(page, 'author@demo.vidya.test');
  await page.goto(`${app.base}/a/DEMO/items/new`);
  await page.getByRole('link', { name: 'Single correct answer' }).click();
  await page.waitForURL(/type=single_choice/);
  const en = page.locator('fieldset[lang=en]');
  await en.getByLabel('Question').fill('Which is $\\sqrt{16}$?');
  await page.getByLabel('Choice A (English)').fill('4');
  await page.getByLabel('Choice B (English)').fill('8');
  await page.locator('#f-correct-A').check();
  // The live preview typesets the maths without a page load.
  await page.locator('#preview .katex').first().waitFor({ timeout: 10000 });
  await page.getByRole('button', { name: 'Save draft' }).click();
  await page.waitForURL(/\/a\/DEMO\/items\/\d+$/);
  await page.getByText('has been saved as a draft').waitFor();
  await page.locator('.phone .katex').first().waitFor();
});
