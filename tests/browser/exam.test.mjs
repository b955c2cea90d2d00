// Browser tests of the candidate's exam runner (/exam/): headless Chromium
// against the real binary with demo data; the exam is set up through the
// API as the demo staff would. See README.md for how to run them.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PHONE, results, useVidya } from './harness.mjs';
import { setUpExam, examAPI } from './exam-setup.mjs';

// The calculator's arithmetic is tested here directly. calc.js is a browser
// module in a folder with no package.json, so it is imported from its
// source, which every Node version reads as a module.
const calcSource = await readFile(new URL('../../internal/web/static/exam/calc.js', import.meta.url), 'utf8');
const { Calc, format } = await import('data:text/javascript,' + encodeURIComponent(calcSource));

const CANDIDATES = [
  { roll: 'R0001', name: 'Asha Verma' },
  { roll: 'R0002', name: 'Bilal Khan' },
  { roll: 'R0003', name: 'Chitra Rao' },
  { roll: 'R0004', name: 'Dinesh Pal' },
];

const PASSWORD = 'vidya-demo-pass';

// signInAs signs a demo account in through the API and returns a caller
// that sends its session cookie and checks the status.
async function signInAs(base, email) {
  const res = await fetch(`${base}/api/v1/auth/signin`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ email, password: PASSWORD }),
  });
  const cookie = (res.headers.getSetCookie() || []).map((c) => c.split(';')[0]).find((c) => c.startsWith('vidya_session='));
  if (!cookie) throw new Error(`sign-in as ${email}: status ${res.status}`);
  return async (method, path, body, want) => {
    const r = await fetch(base + path, { method, headers: { Cookie: cookie, 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await r.text();
    if (r.status !== want) throw new Error(`${method} ${path}: ${r.status} ${text}`);
    return JSON.parse(text);
  };
}

const both = (en, hi, extra = {}) => ({ en: { stem: en, ...extra.en }, hi: { stem: hi, ...extra.hi } });

// PRACTICE_ITEMS are the questions of the mock tests, with solutions.
const PRACTICE_ITEMS = [
  { type: 'single_choice', text: both('Which planet is the largest?', 'सबसे बड़ा ग्रह कौन सा है?', {
    en: { choices: { A: 'Jupiter', B: 'Mars', C: 'Venus' }, explanation: 'Jupiter is more than ten times as wide as the Earth.' },
    hi: { choices: { A: 'बृहस्पति', B: 'मंगल', C: 'शुक्र' }, explanation: 'बृहस्पति पृथ्वी से दस गुना से अधिक चौड़ा है।' } }),
    choices: [{ id: 'A' }, { id: 'B' }, { id: 'C' }], key: { choices: ['A'] }, scoring: { marks: 4, penalty: 1 } },
  { type: 'true_false', text: both('Water boils at 50 °C at sea level.', 'समुद्र तल पर पानी 50 °C पर उबलता है।', {
    en: { choices: { true: 'True', false: 'False' }, explanation: 'At sea level water boils at **100 °C**.' },
    hi: { choices: { true: 'सत्य', false: 'असत्य' }, explanation: 'समुद्र तल पर पानी **100 °C** पर उबलता है।' } }),
    choices: [{ id: 'true' }, { id: 'false' }], key: { choices: ['false'] }, scoring: { marks: 1 } },
  { type: 'numeric', text: both('What is 6 × 7?', '6 × 7 कितना है?', { en: { explanation: 'Six sevens are 42.' }, hi: { explanation: 'सात का छह गुना 42 है।' } }),
    key: { numeric: { value: 42 } }, scoring: { marks: 2 } },
];

// setUpMocks publishes the practice items and two mock tests of them: one
// that gives feedback after each question, one that allows a calculator.
async function setUpMocks(base) {
  const author = await signInAs(base, 'author@demo.vidya.test');
  const approver = await signInAs(base, 'approver@demo.vidya.test');
  const ids = [];
  for (const item of PRACTICE_ITEMS) {
    let made = await author('POST', '/api/v1/authorities/DEMO/items', item, 201);
    for (const status of ['reviewed', 'published']) {
      made = await approver('POST', `/api/v1/authorities/DEMO/items/${made.id}/status`, { revision: made.revision, status }, 200);
    }
    ids.push(made.id);
  }
  const mock = async (title, extra) => {
    const t = await author('POST', '/api/v1/authorities/DEMO/tests', {
      kind: 'mock', title, languages: ['en', 'hi'], duration: 1800, ...extra,
      sections: [{ id: 'A', title: { en: 'Part A', hi: 'भाग क' }, questions: ids.map((id) => ({ item_id: id })) }],
    }, 201);
    await approver('POST', `/api/v1/authorities/DEMO/tests/${t.id}/publish`, { revision: t.revision }, 200);
    return t.id;
  };
  return { items: ids, feedback: await mock('Feedback practice', { feedback: 'each' }), calculator: await mock('Calculator practice', { feedback: 'end', calculator: true }) };
}

let exam;
let mocks;
const app = useVidya({
  prefix: 'vidya-exam-',
  ready: async (base) => {
    exam = await setUpExam(base, CANDIDATES);
    mocks = await setUpMocks(base);
  },
});

// practise starts (or resumes) a demo learner's attempt at a mock test, as
// the practice page does, and opens the runner with its ticket.
async function practise(page, learner, testId) {
  const as = await signInAs(app.base, learner);
  const st = await as('POST', `/api/v1/authorities/DEMO/mock-tests/${testId}/practise`, {}, 201);
  await page.goto(`${app.base}/exam/#ticket=${st.ticket}`);
  await page.getByRole('heading', { name: /^Question 1 of 3$/ }).waitFor();
  return st.ticket;
}

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

test('the calculator computes key by key, to 12 significant digits, without eval', () => {
  const run = (keys) => {
    const c = new Calc();
    for (const k of keys.split(' ')) c.press(k);
    return c.display('Error');
  };
  for (const [keys, want] of [
    ['0 . 1 + 0 . 2 =', '0.3'],
    ['0 . 1 + 0 . 2 - 0 . 3 =', '0'],
    ['1 / 3 * 3 =', '1'],
    ['1 / 7 =', '0.142857142857'],
    ['2 + 3 * 4 =', '20'],
    ['5 + = =', '15'],
    ['2 * 3 = 4 =', '12'],
    ['1 / 0 =', 'Error'],
    ['1 / 0 = +', 'Error'],
    ['1 / 0 = 5', '5'],
    ['0 inv', 'Error'],
    ['2 neg sqrt', 'Error'],
    ['2 sq sq sq sq sq sq sq sq sq sq', 'Error'],
    ['4 inv', '0.25'],
    ['9 sqrt', '3'],
    ['1 2 sq', '144'],
    ['1 0 0 + 1 0 %', '10'],
    ['5 0 * 1 0 % =', '5'],
    ['3 neg', '-3'],
    ['0 . 5 neg', '-0.5'],
    ['1 2 3 back back', '1'],
    ['1 back back', '0'],
    ['7 CE 8 =', '8'],
    ['2 + 3 CE =', '2'],
    ['9 9 9 9 9 9 9 9 9 9 9 9 9 9', '999999999999'],
    ['1 . 2 . 3', '1.23'],
    ['1 0 0 0 0 0 0 sq sq', '1e+24'],
    ['5 M+ C 3 M+ MR', '8'],
    ['5 M+ 2 M- MR', '3'],
    ['5 M+ MC MR', '0'],
    ['4 + MR =', '4'],
  ]) {
    assert.equal(run(keys), want, keys);
  }
  const c = new Calc();
  for (const k of '1 2 +'.split(' ')) c.press(k);
  assert.equal(c.expression(), '12 +');
  c.press('unknown');
  assert.equal(c.display(), '12');
  assert.equal(format(123456789012.5), '123456789013');
  assert.equal(format(-0), '0');
  assert.equal(format(1.5e-12), '1.5e-12');
  assert.equal(format(Infinity), '');
});

// asked collects the URLs a page requests.
function asked(page) {
  const urls = [];
  page.on('request', (r) => urls.push(new URL(r.url()).pathname));
  return urls;
}
const loaded = (urls, name) => urls.some((u) => new RegExp(`^/static/exam/${name}\\.[0-9a-f]{10}\\.(js|css)$`).test(u));

scenario('an exam without a calculator or feedback loads neither, and the result views only at the end', async (open) => {
  const page = await open();
  const urls = asked(page);
  await signInAndStart(page, 'R0004');
  assert.ok(await page.locator('#x-calc-btn').isHidden(), 'a calculator is offered on a paper without one');
  assert.ok(await page.locator('#x-check').isHidden(), 'an exam offers to check answers');
  assert.ok(!loaded(urls, 'calc') && !loaded(urls, 'practice') && !loaded(urls, 'results'), JSON.stringify(urls));
  await page.getByRole('button', { name: 'Submit', exact: true }).click();
  await page.getByRole('button', { name: 'Yes, submit' }).click();
  await page.getByRole('heading', { name: 'Your exam has been submitted' }).waitFor();
  await page.getByRole('button', { name: 'My result' }).waitFor();
  assert.ok(loaded(urls, 'results'), 'the result views were not loaded after the exam');
  assert.ok(!loaded(urls, 'calc'), 'the calculator was loaded');
});

scenario('the calculator opens from the toolbar when the paper allows one, at 320 px, and after an offline reload', async (open) => {
  const page = await open({ viewport: { width: 320, height: 640 } });
  await practise(page, 'learner2@demo.vidya.test', mocks.calculator);
  const btn = page.getByRole('button', { name: 'Calculator', exact: true });
  const panel = page.getByRole('dialog', { name: 'Calculator' });
  const out = panel.locator('output');
  const key = (name) => panel.getByRole('button', { name, exact: true });
  await btn.click();
  await panel.waitFor();
  assert.equal(await btn.getAttribute('aria-expanded'), 'true');
  assert.ok(await page.evaluate(() => document.getElementById('x-calc').contains(document.activeElement)), 'focus did not move into the calculator');
  const box = await panel.boundingBox();
  assert.ok(box.x >= 0 && box.x + box.width <= 320, `the panel is off the screen: ${JSON.stringify(box)}`);

  // From the keyboard.
  await page.keyboard.type('0.1+0.2');
  assert.equal(await panel.locator('.x-calc-expr').textContent(), '0.1 +');
  await page.keyboard.press('Enter');
  assert.equal(await out.textContent(), '0.3');
  // With the keys.
  for (const k of ['Clear all', '1', 'Divide', '0', 'Equals']) await key(k).click();
  assert.equal(await out.textContent(), 'Error');
  for (const k of ['Clear all', '5', 'Add to memory', 'Clear all', '3', 'Add to memory', 'Clear all', 'Memory recall']) await key(k).click();
  assert.equal(await out.textContent(), '8');
  assert.ok(await panel.locator('.x-calc-mem').isVisible(), 'no memory indicator');
  for (const k of ['Subtract from memory', 'Memory recall']) await key(k).click();
  assert.equal(await out.textContent(), '0');
  for (const k of ['2', 'Square', 'Square root', 'Reciprocal (1 divided by the number)', 'Change sign']) await key(k).click();
  assert.equal(await out.textContent(), '-0.5');

  // It is not modal: the question can be answered while it is open.
  await page.getByLabel(/Jupiter/).check();
  assert.ok(await panel.isVisible());
  // Escape closes it and gives focus back to the toolbar button.
  await key('7').click();
  await page.keyboard.press('Escape');
  await panel.waitFor({ state: 'hidden' });
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'x-calc-btn');
  assert.equal(await btn.getAttribute('aria-expanded'), 'false');

  // A test that shows answers at the end offers no check.
  await page.locator('#x-status').getByText('All answers saved').waitFor({ timeout: 15000 });
  assert.ok(await page.locator('#x-check').isHidden(), 'a test with feedback at the end offers to check answers');

  // The worker keeps the calculator: it still opens after an offline reload.
  await page.waitForFunction(async () => {
    await navigator.serviceWorker.ready;
    for (const name of await caches.keys()) {
      const c = await caches.open(name);
      if ((await c.keys()).some((r) => /\/exam\/calc\.[0-9a-f]{10}\.js$/.test(r.url))) return true;
    }
    return false;
  }, null, { polling: 200, timeout: 15000 });
  await page.context().setOffline(true);
  await page.reload();
  await page.getByRole('heading', { name: /^Question 1 of 3$/ }).waitFor();
  await btn.click();
  await panel.waitFor();
  await page.keyboard.type('12*12=');
  assert.equal(await out.textContent(), '144');
  await page.context().setOffline(false);
});

scenario('practice with feedback after each question: a checked answer shows right or wrong with the solution, offline too, and after a reload', async (open) => {
  const page = await open();
  const ticket = await practise(page, 'learner1@demo.vidya.test', mocks.feedback);
  assert.ok(await page.locator('#x-calc-btn').isHidden(), 'a calculator is offered on a paper without one');
  const check = page.getByRole('button', { name: 'Check answer' });
  const fb = page.locator('#x-fb');
  const next = async (n) => {
    await page.getByRole('button', { name: 'Next', exact: true }).click();
    await page.getByRole('heading', { name: `Question ${n} of 3` }).waitFor();
  };

  // 1: right.
  assert.ok(await fb.isHidden(), 'feedback before any check');
  await page.getByLabel(/Jupiter/).check();
  await check.click();
  await fb.getByText('Correct', { exact: true }).waitFor({ timeout: 15000 });
  assert.match(await fb.textContent(), /Marks for this answer: 4/);
  await fb.getByText('Jupiter is more than ten times as wide as the Earth.').waitFor();
  assert.equal(await fb.getAttribute('data-kind'), 'good');
  assert.ok(await page.getByLabel(/Jupiter/).isDisabled(), 'a checked question can still be changed');
  assert.ok(await page.getByLabel(/Mars/).isDisabled(), 'a checked question can still be changed');
  assert.ok(await check.isDisabled(), 'a checked question can be checked again');
  assert.ok(await page.getByRole('button', { name: 'Clear response' }).isDisabled(), 'a checked answer can be cleared');

  // 2: wrong, with the solution's Markdown rendered.
  await next(2);
  assert.ok(await fb.isHidden(), 'the last question\'s feedback shows on the next');
  assert.ok(await check.isDisabled(), 'an unanswered question can be checked');
  await page.getByLabel(/True/).check();
  await check.click();
  await fb.getByText('Incorrect', { exact: true }).waitFor({ timeout: 15000 });
  assert.match(await fb.textContent(), /Marks for this answer: 0/);
  await fb.locator('strong', { hasText: '100 °C' }).waitFor();
  assert.equal(await fb.getAttribute('data-kind'), 'bad');

  // 3: checked offline; the feedback comes when the answer reaches the server.
  await next(3);
  await page.context().setOffline(true);
  await page.getByLabel('Your answer').fill('42');
  await check.click();
  await fb.getByText('You are offline: whether your answer is right will show here when you are back online.').waitFor({ timeout: 15000 });
  assert.ok(await page.getByLabel('Your answer').isDisabled(), 'a question checked offline can still be changed');
  const { body: before } = await examAPI(app.base, 'GET', '/api/v1/exam/state', ticket);
  assert.equal(before.answers.find((a) => a.item_id === mocks.items[2]), undefined, 'an offline answer reached the server');
  await page.context().setOffline(false);
  await fb.getByText('Correct', { exact: true }).waitFor({ timeout: 20000 });
  await fb.getByText('Six sevens are 42.').waitFor();

  // The feedback stays after a reload and on going back to a question.
  await page.reload();
  await page.getByRole('heading', { name: 'Question 3 of 3' }).waitFor();
  await fb.getByText('Six sevens are 42.').waitFor();
  assert.ok(await page.getByLabel('Your answer').isDisabled());
  await page.locator('#x-palette button', { hasText: /^1$/ }).click();
  await fb.getByText('Jupiter is more than ten times as wide as the Earth.').waitFor();
  assert.ok(await page.getByLabel(/Jupiter/).isChecked() && await page.getByLabel(/Jupiter/).isDisabled());
  await page.locator('#x-palette button', { hasText: /^2$/ }).click();
  await fb.getByText('Incorrect', { exact: true }).waitFor();
  // The solution follows the language the question is read in.
  await page.getByLabel('View in').selectOption('hi');
  await fb.getByText('समुद्र तल पर पानी').waitFor();

  const { body } = await examAPI(app.base, 'GET', '/api/v1/exam/state', ticket);
  const by = (i) => body.answers.find((a) => a.item_id === mocks.items[i])?.response;
  assert.deepEqual(by(0), { choices: ['A'] });
  assert.deepEqual(by(1), { choices: ['true'] });
  assert.deepEqual(by(2), { text: '42' });
});
