// Browser test of results and answer-key challenges: a candidate sits a
// one-minute exam through the API; once its shift has ended the results
// are computed and published and the challenge window opened (through
// the API, as the demo staff would). The candidate then signs in at
// /exam/, opens "My result" (its views a module of their own, loaded only
// then), and challenges a question's key from the response sheet; an
// administrator sees the challenge on the exam's challenges page. The
// shift must really end, so the set-up waits about a minute and a half.
// See README.md for how to run it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { PHONE, results, useVidya } from './harness.mjs';
import { examAPI } from './exam-setup.mjs';

const PASSWORD = 'vidya-demo-pass';
const REASON = 'Option A is also correct by the textbook definition.';

async function staff(base, email) {
  const res = await fetch(`${base}/api/v1/auth/signin`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ email, password: PASSWORD }),
  });
  const cookie = (res.headers.getSetCookie() || []).map((c) => c.split(';')[0]).find((c) => c.startsWith('vidya_session='));
  if (!cookie) throw new Error(`sign-in as ${email}: status ${res.status}`);
  return async (method, path, body, want, type = 'application/json') => {
    const r = await fetch(base + path, {
      method, headers: { Cookie: cookie, 'Content-Type': type },
      body: body === undefined ? undefined : type === 'application/json' ? JSON.stringify(body) : body,
    });
    const text = await r.text();
    if (![want].flat().includes(r.status)) throw new Error(`${method} ${path}: ${r.status} ${text}`);
    return type === 'application/json' && text.startsWith('{') ? JSON.parse(text) : text;
  };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const iso = (ms) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');

let exam;
const app = useVidya({
  prefix: 'vidya-results-',
  ready: async (base) => {
    const author = await staff(base, 'author@demo.vidya.test');
    const approver = await staff(base, 'approver@demo.vidya.test');
    const admin = await staff(base, 'admin@demo.vidya.test');
    const ids = [];
    for (const [en, hi] of [['Which colour is the sky on a clear day?', 'साफ़ दिन में आकाश किस रंग का होता है?'], ['Which is a mammal?', 'इनमें से स्तनधारी कौन है?']]) {
      let made = await author('POST', '/api/v1/authorities/DEMO/items', {
        type: 'single_choice', text: { en: { stem: en, choices: { A: 'Blue', B: 'Green' }, explanation: 'Scattering makes it blue.' },
          hi: { stem: hi, choices: { A: 'नीला', B: 'हरा' }, explanation: 'प्रकीर्णन से नीला।' } },
        choices: [{ id: 'A' }, { id: 'B' }], key: { choices: ['B'] }, scoring: { marks: 4, penalty: 1 },
      }, 201);
      for (const status of ['reviewed', 'published']) {
        made = await approver('POST', `/api/v1/authorities/DEMO/items/${made.id}/status`, { revision: made.revision, status }, 200);
      }
      ids.push(made.id);
    }
    const t = await author('POST', '/api/v1/authorities/DEMO/tests', {
      kind: 'exam', title: 'Results check', languages: ['en', 'hi'], duration: 60,
      sections: [{ id: 'A', title: { en: 'Part A', hi: 'भाग क' }, questions: ids.map((id) => ({ item_id: id })) }],
    }, 201);
    await approver('POST', `/api/v1/authorities/DEMO/tests/${t.id}/publish`, { revision: t.revision }, 200);
    const e = await admin('POST', '/api/v1/authorities/DEMO/exams', { test_id: t.id, title: 'Results check exam' }, 201);
    const starts = Math.floor(Date.now() / 1000) * 1000 - 5000;
    const ends = starts + 20000 + 60000 + 5000;
    await admin('POST', `/api/v1/authorities/DEMO/exams/${e.id}/shifts`, { code: 'SHORT', starts_at: iso(starts), late_entry: 20, ends_at: iso(ends) }, 201);
    await admin('POST', `/api/v1/authorities/DEMO/exams/${e.id}/candidates`, 'roll_no,name,shift\nRS01,Meera Nair,SHORT\n', 200, 'text/csv');
    const codes = await admin('POST', `/api/v1/authorities/DEMO/exams/${e.id}/codes`, {}, 200);
    const code = codes.trim().split('\n')[1].split(',')[3];

    // The candidate sits the exam: question 1 wrong (A, the key says B).
    let r = await examAPI(base, 'POST', '/api/v1/exam/signin', '', { roll_no: 'RS01', access_code: code });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    r = await examAPI(base, 'POST', '/api/v1/exam/start', r.body.ticket);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const ticket = r.body.ticket;
    r = await examAPI(base, 'POST', '/api/v1/exam/answers', ticket, { answers: [{ item_id: ids[0], seq: 1, response: { choices: ['A'] } }, { item_id: ids[1], seq: 2, response: { choices: ['B'] } }] });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    r = await examAPI(base, 'POST', '/api/v1/exam/submit', ticket);
    assert.equal(r.status, 200, JSON.stringify(r.body));

    // Before publication the result is refused with its problem type.
    r = await examAPI(base, 'GET', '/api/v1/exam/result', ticket);
    assert.equal(r.status, 409);

    // Wait for the shift to end, then compute (once grading has run),
    // publish and open the challenge window.
    await sleep(Math.max(0, ends - Date.now()) + 1000);
    for (let i = 0; ; i++) {
      try {
        await admin('POST', `/api/v1/authorities/DEMO/exams/${e.id}/results/compute`, {}, 202);
        break;
      } catch (err) {
        if (i >= 30) throw err;
        await sleep(2000);
      }
    }
    // The results job, started by the request, computes them.
    for (let i = 0; ; i++) {
      const st = await admin('GET', `/api/v1/authorities/DEMO/exams/${e.id}/results/status`, undefined, 200);
      if (st.state === 'ready') break;
      assert.notEqual(st.state, 'failed', st.error);
      if (i >= 30) throw new Error(`results still ${st.state}`);
      await sleep(1000);
    }
    await admin('POST', `/api/v1/authorities/DEMO/exams/${e.id}/results/publish`, { publish: true }, [200, 204]);
    await admin('PUT', `/api/v1/authorities/DEMO/exams/${e.id}/challenges/window`, { opens_at: iso(ends), closes_at: iso(ends + 86400000) }, 200);
    exam = { id: e.id, code, items: ids };
  },
});

test('a candidate sees the published result, challenges a key, and the administrator sees it', async () => {
  const cand = await app.browser.newContext({ viewport: PHONE, locale: 'en-US' });
  const staffCtx = await app.browser.newContext({ viewport: { width: 1024, height: 900 }, locale: 'en-US' });
  const pages = [];
  const problems = [];
  const watch = (p) => {
    pages.push(p);
    p.on('console', (m) => {
      if (m.type() === 'error') problems.push(m.text());
    });
    p.on('pageerror', (e) => problems.push(String(e)));
    return p;
  };
  try {
    const page = watch(await cand.newPage());
    const urls = [];
    page.on('request', (r) => urls.push(new URL(r.url()).pathname));
    await page.goto(`${app.base}/exam/`);
    await page.locator('#x-roll').fill('RS01');
    await page.locator('#x-code').fill(exam.code);
    await page.getByRole('button', { name: 'Sign in' }).click();

    // Signed in after the exam: the final view offers the result.
    await page.locator('#x-end').waitFor();
    await page.getByRole('button', { name: 'My result' }).click();
    await page.locator('#x-res').waitFor();
    const sum = await page.locator('#x-res-sum').textContent();
    assert.match(sum, /Total\s*3 \/ 8/, sum);
    assert.match(sum, /Percentile \(in your shift\)\s*\d+\.\d{7}/, sum);
    assert.match(sum, /Overall rank\s*1/, sum);
    assert.ok(urls.some((u) => /^\/static\/exam\/results\.[0-9a-f]{10}\.js$/.test(u)), `the result views' module was not loaded: ${urls}`);
    assert.ok(!urls.some((u) => /^\/static\/exam\/(calc|practice)\./.test(u)), `an exam without a calculator loaded one: ${urls}`);
    const first = page.locator('#x-res-sheet li').first();
    const text = await first.textContent();
    assert.match(text, /Your answer\s*A\. Blue/, text);
    assert.match(text, /Answer key\s*B\. Green/, text);
    assert.match(text, /Scattering makes it blue/, text);

    // The language toggle shows the sheet in Hindi.
    await page.locator('#x-res-lang').selectOption('hi');
    await page.locator('#x-res-sheet li').first().getByText('साफ़ दिन में आकाश').waitFor();
    await page.locator('#x-res-lang').selectOption('en');

    // Challenge question 1's key from the response sheet.
    await first.getByRole('button', { name: 'Challenge this key' }).click();
    assert.equal(await page.locator('#x-ch-q').inputValue(), String(exam.items[0]));
    await page.locator('#x-ch-reason').fill('too short');
    await page.getByRole('button', { name: 'File the challenge' }).click();
    await page.locator('#x-ch-err').getByText('at least 10 characters').waitFor();
    await page.locator('#x-ch-reason').fill(REASON);
    await page.getByLabel('A. Blue').check();
    await page.getByRole('button', { name: 'File the challenge' }).click();
    await page.locator('#x-ch-list').getByText('Question 1: Pending').waitFor();
    assert.equal(await first.getByRole('button', { name: 'Challenge this key' }).count(), 0, 'a challenged key is still offered');
    assert.ok(!(await page.locator('#x-ch-q option').allTextContents()).includes('Question 1'), 'question 1 can be challenged twice');

    // The administrator sees it, grouped by question, with the proposed answer.
    const admin = watch(await staffCtx.newPage());
    await admin.goto(`${app.base}/signin`);
    await admin.getByLabel('E-mail').fill('admin@demo.vidya.test');
    await admin.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await admin.getByRole('button', { name: 'Sign in' }).click();
    await admin.waitForURL((u) => !u.pathname.startsWith('/signin'));
    await admin.goto(`${app.base}/a/DEMO/exams/${exam.id}`);
    await admin.getByRole('link', { name: 'Answer-key challenges' }).click();
    const card = admin.locator(`#q-${exam.items[0]}`);
    await card.getByText(REASON).waitFor();
    assert.match(await card.locator('h3').textContent(), /1 challenges/);
    assert.equal(await card.locator('.c-key').textContent(), 'B');
    assert.deepEqual(problems, [], 'the browser reported errors');
  } catch (err) {
    await mkdir(results, { recursive: true });
    for (const [i, p] of pages.entries()) {
      await p.screenshot({ path: join(results, `results-${i}.png`), fullPage: true }).catch(() => {});
    }
    throw err;
  } finally {
    await cand.close();
    await staffCtx.close();
  }
});
