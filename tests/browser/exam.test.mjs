// Browser tests of the candidate's exam runner (/exam/): headless Chromium
// against the real binary with demo data; the exam is set up through the
// API as the demo staff would. See README.md for how to run them.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { PHONE, results, useVidya } from './harness.mjs';
import { setUpExam, examAPI } from './exam-setup.mjs';

const CANDIDATES = [
  { roll: 'R0001', name: 'Asha Verma' },
  { roll: 'R0002', name: 'Bilal Khan' },
  { roll: 'R0003', name: 'Chitra Rao' },
];

let exam;
const app = useVidya({
  prefix: 'vidya-exam-',
  ready: async (base) => {
    exam = await setUpExam(base, CANDIDATES);
  },
});

// newPage opens a phone-sized page in a fresh context and collects the
// errors the browser reports (CSP violations included).
async function newPage(contextOptions = {}) {
  const context = await app.browser.newContext({ viewport: PHONE, locale: 'en-US', ...contextOptions });
  const page = await context.newPage();
  page.problems = [];
  page.on('console', (m) => {
    if (m.type() === 'error') page.problems.push(m.text());
  });
  page.on('pageerror', (e) => page.problems.push(String(e)));
  return page;
}

function scenario(name, fn) {
  test(name, async (t) => {
    const pages = [];
    const open = async (o) => {
      const p = await newPage(o);
      pages.push(p);
      return p;
    };
    try {
      await fn(open, t);
      for (const p of pages) {
        // Failed fetches while offline and refused saves are expected.
        const bad = p.problems.filter((m) => !/status of (4\d\d)|ERR_INTERNET_DISCONNECTED|Failed to fetch|Failed to load resource/.test(m));
        assert.deepEqual(bad, [], 'the browser reported errors');
      }
    } catch (err) {
      await mkdir(results, { recursive: true });
      for (const [i, p] of pages.entries()) {
        await p.screenshot({ path: join(results, `exam-${name.replace(/[^a-z0-9]+/gi, '-')}-${i}.png`), fullPage: true }).catch(() => {});
      }
      throw err;
    } finally {
      for (const p of pages) await p.context().close();
    }
  });
}

// signInAndStart signs a candidate in (the code typed in lower case
// without dashes, as candidates do) and starts the exam.
async function signInAndStart(page, roll) {
  await page.goto(`${app.base}/exam`);
  assert.equal(new URL(page.url()).pathname, '/exam/');
  await page.getByLabel('Roll number').fill(roll);
  await page.getByLabel('Access code').fill(exam.codes[roll].replace(/-/g, '').toLowerCase());
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByText('General instructions').waitFor();
  assert.ok(await page.getByRole('button', { name: 'Start the exam' }).isDisabled(), 'Start is enabled before the instructions are accepted');
  await page.getByLabel('I have read and understood the instructions.').check();
  await page.getByRole('button', { name: 'Start the exam' }).click();
  await page.getByRole('heading', { name: /^Question 1 of 8$/ }).waitFor();
}

const ticketOf = (page) => page.evaluate(() => JSON.parse(sessionStorage.getItem('vidya.exam')).ticket);
const status = (page) => page.locator('#x-status');
const goTo = (page, n) => page.locator('#x-palette button', { hasText: new RegExp(`^${n}$`) }).click();
async function stored(ticket, itemIndex) {
  const { status: code, body } = await examAPI(app.base, 'GET', '/api/v1/exam/state', ticket);
  assert.equal(code, 200, JSON.stringify(body));
  return body.answers.find((a) => a.item_id === exam.items[itemIndex]);
}

scenario('a candidate answers every kind of question on a phone and submits', async (open, t) => {
  const page = await open();
  await signInAndStart(page, 'R0001');
  assert.equal(await page.locator('#x-cand').textContent(), 'Asha Verma · R0001');
  assert.match(await page.locator('#x-timer').textContent(), /^0:59:\d\d$|^1:00:00$/);

  // 1 single choice: Save & next.
  await page.getByLabel(/Jupiter/).check();
  await page.getByRole('button', { name: 'Save & next' }).click();
  await page.getByRole('heading', { name: 'Question 2 of 8' }).waitFor();
  // 2 multiple response, marked for review.
  await page.getByLabel(/Two/).check();
  await page.getByLabel(/Three/).check();
  await page.getByRole('button', { name: 'Mark for review & next' }).click();
  await page.getByRole('heading', { name: 'Question 3 of 8' }).waitFor();
  assert.equal(await page.getByRole('button', { name: 'Question 2: Answered and marked for review' }).count(), 1);
  assert.equal(await page.getByRole('button', { name: 'Question 1: Answered' }).count(), 1);

  // 3 true/false, read in Hindi.
  await page.getByLabel('View in').selectOption('hi');
  const stem = page.locator('#x-question .x-stem');
  await stem.getByText('समुद्र तल पर पानी').waitFor();
  assert.equal(await page.locator('#x-question').getAttribute('lang'), 'hi');
  await page.evaluate(() => document.fonts.ready);
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('DOM.enable');
  await cdp.send('CSS.enable');
  const { root } = await cdp.send('DOM.getDocument');
  const { nodeId } = await cdp.send('DOM.querySelector', { nodeId: root.nodeId, selector: '#x-question .x-stem p' });
  const { fonts } = await cdp.send('CSS.getPlatformFontsForNode', { nodeId });
  t.diagnostic(`Hindi stem fonts: ${JSON.stringify(fonts)}`);
  assert.ok(fonts.some((f) => /devanagari/i.test(f.familyName) && f.glyphCount > 0), 'the Hindi stem is not drawn with a Devanagari font');
  await page.getByLabel(/सत्य/).first().check();
  await page.getByRole('button', { name: 'Save & next' }).click();

  // 4 numeric, with maths typeset.
  await page.getByRole('heading', { name: 'Question 4 of 8' }).waitFor();
  await page.locator('#x-question .katex').first().waitFor();
  await page.getByLabel('Your answer').fill('42');
  // Zoom is kept across questions.
  await page.getByRole('button', { name: 'Larger text' }).click();
  await page.getByRole('button', { name: 'Save & next' }).click();

  // 5 ordering (section B): move "Hundred" up to the middle, then back down.
  await page.getByRole('heading', { name: 'Question 5 of 8' }).waitFor();
  assert.equal(await page.locator('#x-run').getAttribute('data-zoom'), '1');
  assert.equal(await page.getByRole('button', { name: 'Part B' }).getAttribute('aria-pressed'), 'true');
  await page.getByRole('button', { name: 'Move down: 1' }).click();
  await page.getByRole('button', { name: 'Move up: 2' }).click();
  await page.getByRole('button', { name: 'Move down: 2' }).click();
  await page.getByRole('button', { name: 'Save & next' }).click();
  // 6 matching.
  await page.getByRole('heading', { name: 'Question 6 of 8' }).waitFor();
  const right = await page.locator('.x-right li').allTextContents();
  const num = (country) => String(right.findIndex((r) => r.includes(country)) + 1);
  await page.getByLabel(/Delhi/).selectOption({ label: num('India') });
  await page.getByLabel(/Tokyo/).selectOption({ label: num('Japan') });
  await page.getByRole('button', { name: 'Save & next' }).click();
  // 7 short text is skipped; 8 essay with a character count.
  await page.getByRole('button', { name: 'Next', exact: true }).click();
  await page.getByRole('heading', { name: 'Question 8 of 8' }).waitFor();
  await page.getByLabel('Your answer').fill('A small town by a river.');
  await page.getByText('24 characters').waitFor();
  await status(page).getByText('All answers saved').waitFor({ timeout: 15000 });

  // Submit: the summary counts, then the final page.
  await page.getByRole('button', { name: 'Submit', exact: true }).click();
  const dlg = page.locator('#x-sum-dlg');
  await dlg.waitFor();
  assert.equal(await page.locator('#x-sum-a').textContent(), '7');
  assert.equal(await page.locator('#x-sum-na').textContent(), '1');
  assert.equal(await page.locator('#x-sum-m').textContent(), '1');
  await page.getByRole('button', { name: 'Yes, submit' }).click();
  await page.getByRole('heading', { name: 'Your exam has been submitted' }).waitFor();

  const ticket = await ticketOf(page);
  const st = await examAPI(app.base, 'GET', '/api/v1/exam/state', ticket);
  assert.ok(st.body.submitted_at, 'the attempt is not submitted');
  const by = (i) => st.body.answers.find((a) => a.item_id === exam.items[i]);
  assert.deepEqual(by(0).response, { choices: ['A'] });
  assert.deepEqual([...by(1).response.choices].sort(), ['A', 'B']);
  assert.equal(by(1).marked, true);
  assert.deepEqual(by(2).response, { choices: ['true'] });
  assert.deepEqual(by(3).response, { text: '42' });
  assert.deepEqual(by(4).response.choices.length, 3);
  assert.deepEqual(by(5).response, { pairs: { L1: 'R1', L2: 'R2' } });
  assert.equal(by(6), undefined);
  assert.deepEqual(by(7).response, { text: 'A small town by a river.' });
});

scenario('answers given offline survive a reload and reach the server', async (open) => {
  const page = await open();
  await signInAndStart(page, 'R0002');
  // The worker is ready and keeps KaTeX, since the paper has maths.
  await page.waitForFunction(async () => {
    await navigator.serviceWorker.ready;
    for (const name of await caches.keys()) {
      const c = await caches.open(name);
      if ((await c.keys()).some((r) => /katex\.min\.[0-9a-f]{10}\.js$/.test(r.url))) return true;
    }
    return false;
  }, null, { polling: 200, timeout: 15000 });
  const ticket = await ticketOf(page);
  // One answer saved online, after the state was read.
  await goTo(page, 2);
  await page.getByLabel(/Three/).check();
  await status(page).getByText('All answers saved').waitFor({ timeout: 15000 });
  assert.deepEqual((await stored(ticket, 1)).response, { choices: ['B'] });

  await page.context().setOffline(true);
  await goTo(page, 1);
  await page.getByLabel(/Mars/).check();
  await goTo(page, 4);
  await page.getByLabel('Your answer').fill('41');
  await page.getByLabel('Your answer').fill('42');
  await status(page).getByText('Offline — 2 answers kept on this device, will be sent when you are back online').waitFor({ timeout: 15000 });
  assert.equal(await stored(ticket, 0), undefined, 'an offline answer reached the server');

  // The worker kept the shell and this attempt's paper.
  const kept = await page.evaluate(async () => {
    const names = await caches.keys();
    const c = await caches.open(names.find((n) => n.startsWith('vidya-exam-')));
    return (await c.keys()).map((r) => new URL(r.url).pathname);
  });
  assert.ok(kept.includes('/exam/') && kept.some((p) => p.startsWith('/exam/kept/paper/')), JSON.stringify(kept));

  await page.reload();
  await page.getByRole('heading', { name: /^Question 4 of 8$/ }).waitFor();
  assert.equal(await page.getByLabel('Your answer').inputValue(), '42');
  await status(page).getByText('Offline — 2 answers kept on this device').waitFor();
  await goTo(page, 1);
  assert.ok(await page.getByLabel(/Mars/).isChecked());
  await goTo(page, 2);
  assert.ok(await page.getByLabel(/Three/).isChecked(), 'an answer saved before going offline is not shown after the reload');

  await page.context().setOffline(false);
  await status(page).getByText('All answers saved').waitFor({ timeout: 20000 });
  assert.deepEqual((await stored(ticket, 0)).response, { choices: ['B'] });
  assert.deepEqual((await stored(ticket, 3)).response, { text: '42' });
});

scenario('a second device takes the exam over and the first is told', async (open) => {
  const first = await open();
  await signInAndStart(first, 'R0003');
  await first.getByLabel(/Venus/).check();
  await status(first).getByText('All answers saved').waitFor({ timeout: 15000 });

  const second = await open();
  await second.goto(`${app.base}/exam/`);
  await second.getByLabel('Roll number').fill('R0003');
  await second.getByLabel('Access code').fill(exam.codes.R0003);
  await second.getByRole('button', { name: 'Sign in' }).click();
  // An attempt in progress resumes straight away, with its answers.
  await second.getByRole('heading', { name: 'Question 1 of 8' }).waitFor();
  assert.ok(await second.getByLabel(/Venus/).isChecked());

  // The first device's next save is refused: it stops and says so.
  await first.getByLabel(/Jupiter/).check();
  await first.getByText('Your exam continues on another device').waitFor({ timeout: 15000 });
  // It can take the exam back; its unsent answer goes with it.
  await first.getByRole('button', { name: 'Continue on this device' }).click();
  await first.getByRole('heading', { name: 'Question 1 of 8' }).waitFor();
  assert.ok(await first.getByLabel(/Jupiter/).isChecked());
  await status(first).getByText('All answers saved').waitFor({ timeout: 15000 });
  assert.deepEqual((await stored(await ticketOf(first), 0)).response, { choices: ['A'] });
});

scenario('when the time is up, pending answers are sent and the candidate is told', async (open) => {
  // A 25-second paper.
  const short = await setUpExam(app.base, [{ roll: 'T0001', name: 'Dev Joshi' }], 25);
  const page = await open();
  await page.goto(`${app.base}/exam/`);
  await page.getByLabel('Roll number').fill('T0001');
  await page.getByLabel('Access code').fill(short.codes.T0001);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByLabel('I have read and understood the instructions.').check();
  await page.getByRole('button', { name: 'Start the exam' }).click();
  await page.getByRole('heading', { name: 'Question 1 of 8' }).waitFor();
  assert.match(await page.locator('#x-timer').textContent(), /^0:00:[0-2]\d$/);
  const ticket = await ticketOf(page);
  await page.getByLabel(/Mercury/).check();
  await page.getByRole('heading', { name: 'Time is up — your answers have been submitted' }).waitFor({ timeout: 40000 });
  const { body } = await examAPI(app.base, 'GET', '/api/v1/exam/state', ticket);
  const a = body.answers.find((x) => x.item_id === short.items[0]);
  assert.deepEqual(a?.response, { choices: ['D'] });
  // Saving is over: a late answer is refused by the server, not queued.
  const late = await examAPI(app.base, 'POST', '/api/v1/exam/answers', ticket, { answers: [{ item_id: short.items[0], seq: Date.now(), response: null }] });
  assert.match(late.body.type, /deadline-passed|attempt-submitted/);
});

scenario('sections with their own time open one after the other', async (open) => {
  // Part A has 20 seconds, part B ten minutes.
  const sx = await setUpExam(app.base, [{ roll: 'S0001', name: 'Esha Nair' }, { roll: 'S0002', name: 'Farid Ali' }], 0, [20, 600]);
  const begin = async (roll) => {
    const page = await open();
    await page.goto(`${app.base}/exam/`);
    await page.getByLabel('Roll number').fill(roll);
    await page.getByLabel('Access code').fill(sx.codes[roll]);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByLabel('I have read and understood the instructions.').check();
    await page.getByRole('button', { name: 'Start the exam' }).click();
    await page.getByRole('heading', { name: 'Question 1 of 8' }).waitFor();
    return page;
  };
  const tab = (page, name) => page.locator('#x-tabs button', { hasText: name });

  // Moving on early, with the candidate's confirmation.
  const page = await begin('S0001');
  assert.ok(await page.locator('#x-sec-wrap').isVisible(), 'no section timer');
  assert.ok(await tab(page, 'Part B').isDisabled(), 'part B open before its time');
  await page.getByLabel(/Jupiter/).check();
  page.once('dialog', (d) => d.accept());
  await page.getByRole('button', { name: 'Go to the next section' }).click();
  await page.getByRole('heading', { name: 'Question 5 of 8' }).waitFor();
  assert.ok(await tab(page, 'Part A').isDisabled(), 'part A still open after moving on');
  assert.ok(await page.getByRole('button', { name: 'Go to the next section' }).isHidden(), 'a next section after the last');
  const ticket = await ticketOf(page);
  const { body } = await examAPI(app.base, 'GET', '/api/v1/exam/state', ticket);
  assert.equal(body.section, 1);
  assert.deepEqual(body.answers.find((x) => x.item_id === sx.items[0])?.response, { choices: ['A'] });

  // Part A closing on its own when its time is up.
  const other = await begin('S0002');
  await other.getByRole('heading', { name: 'Question 5 of 8' }).waitFor({ timeout: 40000 });
  assert.ok(await tab(other, 'Part A').isDisabled(), 'part A still open after its time');
});
