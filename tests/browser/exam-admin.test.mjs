// Browser test of the staff's test and exam pages: an administrator of the
// demo authority builds an exam paper from published items in the editor
// (no JavaScript needed: every button is a form submit), publishes it,
// schedules an exam with a shift, registers three candidates from a CSV
// file and downloads their access codes; a candidate then signs in at
// /exam/ with one of the codes and starts. See README.md for how to run it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PHONE, results, useVidya } from './harness.mjs';

const ADMIN = 'admin@demo.vidya.test';
const PASSWORD = 'vidya-demo-pass';

const app = useVidya({ prefix: 'vidya-exam-admin-' });

// local formats a time for a datetime-local input in UTC+05:30, the shift
// form's default offset.
function local(ms) {
  return new Date(ms + 330 * 60 * 1000).toISOString().slice(0, 16);
}

test('an administrator builds, publishes and schedules an exam; a candidate starts it', async () => {
  const staff = await app.browser.newContext({ viewport: { width: 1024, height: 900 }, locale: 'en-US', acceptDownloads: true });
  const candidate = await app.browser.newContext({ viewport: PHONE, locale: 'en-US' });
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
    const page = watch(await staff.newPage());
    await page.goto(`${app.base}/signin`);
    await page.getByLabel('E-mail').fill(ADMIN);
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((u) => !u.pathname.startsWith('/signin'));

    // The authority page links the tests; the list offers a new exam paper.
    await page.goto(`${app.base}/a/DEMO`);
    await page.getByRole('link', { name: 'Tests', exact: true }).click();
    await page.getByRole('link', { name: 'New exam paper' }).click();
    await page.locator('#f-title').fill('Browser-built paper');
    await page.locator('#f-duration').fill('30');

    // Find published single-choice items and add two of them.
    await page.locator('#f-search\\.type').selectOption('single_choice');
    await page.getByRole('button', { name: 'Search published items' }).click();
    const adds = page.getByRole('button', { name: 'Add to section' });
    await adds.first().waitFor();
    assert.ok(await adds.count() >= 2, 'fewer than two published single-choice items found');
    await adds.nth(0).click();
    await page.locator('#f-sections\\.0\\.questions\\.0\\.item_id').waitFor();
    await page.getByRole('button', { name: 'Add to section' }).nth(1).click();
    await page.locator('#f-sections\\.0\\.questions\\.1\\.item_id').waitFor();
    assert.equal(await page.locator('#f-title').inputValue(), 'Browser-built paper', 'the title was lost on re-rendering');
    await page.locator('#f-sections\\.0\\.marking\\.marks').fill('4');
    await page.locator('#f-sections\\.0\\.marking\\.penalty').fill('1');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByText('Test saved.').waitFor();
    const testPath = new URL(page.url()).pathname;
    assert.match(testPath, /^\/a\/DEMO\/tests\/\d+$/);

    await page.getByRole('button', { name: 'Publish', exact: true }).click();
    await page.getByText('Published. Version / items frozen: 1 / 2.').waitFor();
    await page.getByRole('heading', { name: 'Published versions' }).waitFor();
    const testID = testPath.split('/').pop();

    // Schedule an exam of it.
    await page.goto(`${app.base}/a/DEMO/exams`);
    await page.getByLabel('Exam paper').selectOption(testID);
    await page.getByLabel('Exam title').fill('Browser exam');
    await page.getByRole('button', { name: 'Schedule', exact: true }).click();
    await page.getByText('Exam scheduled.').waitFor();
    const examPath = new URL(page.url()).pathname;
    const examID = examPath.split('/').pop();

    // A shift open now, typed in UTC+05:30.
    await page.getByLabel('Code', { exact: true }).fill('B1');
    await page.getByLabel('Starts at').fill(local(Date.now() - 60_000));
    await page.getByLabel('Late entry (minutes)').fill('60');
    await page.getByLabel('Ends at').fill(local(Date.now() + 3 * 3600_000));
    await page.getByRole('button', { name: 'Add a shift' }).click();
    await page.getByText('Shift added.').waitFor();

    // Three candidates from a CSV file.
    const csv = 'roll_no,name,shift,extra_time_minutes\nBR1,Asha Verma,B1,0\nBR2,Bilal Khan,B1,10\nBR3,Chitra Rao,B1,\n';
    await page.locator('#f-file').setInputFiles({ name: 'candidates.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await page.getByRole('button', { name: 'Upload and register' }).click();
    await page.getByText('Candidates registered (added / updated): 3 / 0.').waitFor();
    for (const name of ['Asha Verma', 'Bilal Khan', 'Chitra Rao']) {
      await page.getByRole('cell', { name }).waitFor();
    }

    // The codes come as a download, once.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Issue codes to everyone without one' }).click(),
    ]);
    assert.equal(download.suggestedFilename(), `exam-${examID}-access-codes.csv`);
    const lines = (await readFile(await download.path(), 'utf8')).trim().split(/\r?\n/);
    assert.equal(lines[0], 'roll_no,name,shift,access_code');
    assert.equal(lines.length, 4);
    const codes = Object.fromEntries(lines.slice(1).map((l) => l.split(',')).map((c) => [c[0], c[3]]));

    // A candidate signs in with a code and starts.
    const cand = watch(await candidate.newPage());
    await cand.goto(`${app.base}/exam/`);
    await cand.getByLabel('Roll number').fill('BR2');
    await cand.getByLabel('Access code').fill(codes.BR2);
    await cand.getByRole('button', { name: 'Sign in' }).click();
    await cand.getByText('General instructions').waitFor();
    await cand.getByLabel('I have read and understood the instructions.').check();
    await cand.getByRole('button', { name: 'Start the exam' }).click();
    await cand.getByRole('heading', { name: /^Question 1 of 2$/ }).waitFor();

    // The exam page counts the start.
    await page.goto(`${app.base}${examPath}`);
    assert.match(await page.locator('dl.facts').first().textContent(), /Started\s*1/);
    assert.deepEqual(problems.filter((m) => !/status of 4\d\d|Failed to load resource/.test(m)), [], 'the browser reported errors');
  } catch (err) {
    await mkdir(results, { recursive: true });
    for (const [i, p] of pages.entries()) {
      await p.screenshot({ path: join(results, `exam-admin-${i}.png`), fullPage: true }).catch(() => {});
    }
    throw err;
  } finally {
    await staff.close();
    await candidate.close();
  }
});
