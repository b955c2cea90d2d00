// Browser tests of the certificate pages: the public verification page in
// both languages, and the staff's way from a new certificate type to an
// issued certificate. An administrator makes a type from the starter
// template and watches its live preview, uploads a CSV batch, and cannot
// approve it herself; the demo approver approves it, watches the progress
// reach "done" over the event stream, and opens a certificate's public
// page. See README.md for how to run it.

import assert from 'node:assert/strict';
import { PHONE, useVidya, pageScenario } from './harness.mjs';

const PASSWORD = 'vidya-demo-pass';

const app = useVidya({ prefix: 'vidya-certs-' });
// An unknown certificate number is a 404 page, and a QR code payload that
// is not one is a 400 from the verify API: both on purpose.
const scenario = pageScenario(app, { ignore: /responded with a status of 4\d\d/ });

async function signIn(page, email) {
  await page.goto(`${app.base}/signin`);
  await page.getByLabel('E-mail', { exact: true }).fill(email);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${app.base}/`);
}

// demoDoc is the number of a certificate the demo issued, from the
// server's start-up message.
function demoDoc() {
  const m = app.log().match(/\/v\/([0-9A-Z]{10})\b/);
  assert.ok(m, 'the demo printed no certificate number');
  return m[1];
}

for (const [locale, lang, unknown] of [
  ['en-US', 'en', 'There is no certificate with this number.'],
  ['hi-IN', 'hi', 'इस संख्या का कोई प्रमाणपत्र नहीं है।'],
]) {
  scenario(`an unknown certificate number says so (${lang})`, async (page) => {
    const res = await page.goto(`${app.base}/v/ZZZZZZZZZZ`);
    assert.equal(res.status(), 404);
    assert.equal(await page.locator('html').getAttribute('lang'), lang);
    assert.equal((await page.locator('#status').textContent()).trim(), unknown);
    assert.equal(res.headers()['cache-control'], 'no-store');
    assert.equal(await page.locator('script[src*="verify"]').count(), 0);
  }, { locale });
}

scenario('a demo certificate verifies; the switch turns the page into Hindi', async (page) => {
  const doc = demoDoc();
  await page.goto(`${app.base}/v/${doc}`);
  await page.getByText('This certificate is genuine and in force.').waitFor();
  // Only what the public may see: no roll number, no marks.
  const text = await page.locator('main').textContent();
  assert.doesNotMatch(text, /DEMO-26-|Percentage|Division/);
  await page.locator('a.switch').click();
  await page.getByText('यह प्रमाणपत्र असली है और मान्य है।').waitFor();
  assert.equal(await page.locator('html').getAttribute('lang'), 'hi');
});

scenario('a QR code payload that is not the issuer\'s is flagged', async (page, t) => {
  const api = await fetch(`${app.base}/api/v1/verify`, { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: 'x' });
  if (api.status === 404) {
    t.skip('this server has no verify API (POST /api/v1/verify)');
    return;
  }
  const doc = demoDoc();
  await page.goto(`${app.base}/v/${doc}#not-a-signed-payload`);
  const box = page.locator('#qr-check');
  await box.getByText('does not match the issuer').waitFor({ timeout: 10000 });
  assert.equal(await box.getAttribute('class'), 'alert');
  // The language switch keeps the payload.
  assert.match(await page.locator('a.switch').getAttribute('href'), /%23not-a-signed-payload$/);
});

scenario('from a new type to an issued certificate, maker and checker', async (page, t) => {
  const code = `browser-${Date.now().toString(36)}`;
  await signIn(page, 'admin@demo.vidya.test');

  // A new type starts from the starter template; its preview loads.
  await page.goto(`${app.base}/a/DEMO/certificates/types/new`);
  const img = page.locator('#preview-img');
  await page.waitForFunction(() => {
    const i = document.getElementById('preview-img');
    return i && i.complete && i.naturalWidth > 0;
  });
  await page.getByLabel('Code', { exact: true }).fill(code);
  await page.getByLabel('Name', { exact: true }).first().fill('Browser course');
  await page.locator('#f-achievement\\.name').fill('Browser Testing Course 2026');
  await page.locator('#f-fields').fill('holder.id, Roll, string, required\nholder.name, Name, string, required\nscore, Score, number, required');
  await page.locator('#f-rules\\.0\\.name').fill('pass');
  await page.locator('#f-rules\\.0\\.expr').fill('score >= 40.0');
  await page.locator('#f-rules\\.0\\.message').fill('scored below 40');
  // Typing refreshes the preview in place (a data: URL from the live
  // preview), without leaving the page.
  await page.waitForFunction(() => document.getElementById('preview-img').src.startsWith('data:image/png'), null, { timeout: 10000 });
  assert.equal(await page.locator('#preview-problems').isHidden(), true);
  assert.match(await page.locator('#preview-pdf').getAttribute('href'), /format=pdf/);
  await page.getByRole('button', { name: 'Save the type' }).click();
  await page.waitForURL(`${app.base}/a/DEMO/certificates/types/${code}`);
  await page.getByText('The type has been saved as version 1.').waitFor();
  assert.ok(await img.isVisible());

  // A CSV batch: two rows pass, one fails the rule.
  await page.goto(`${app.base}/a/DEMO/certificates/batches/new?type=${code}`);
  await page.getByLabel('CSV file', { exact: true }).setInputFiles({
    name: 'scores.csv', mimeType: 'text/csv',
    buffer: Buffer.from('holder.id,holder.name,score\nBR-1,अनन्या राव,81\nBR-2,Kabir Das,64\nBR-3,Low Score,12\n'),
  });
  await page.getByLabel('Source', { exact: true }).fill('Browser course, batch 1');
  await page.getByRole('button', { name: 'Check and create the batch' }).click();
  await page.waitForURL(/\/a\/DEMO\/certificates\/batches\/\d+$/);
  const batchURL = page.url();
  await page.getByText('valid / rejected rows: 2 / 1').waitFor();
  await page.getByText('score >= 40').or(page.getByText('pass: scored below 40')).first().waitFor();
  // The maker is told why there is no approve button.
  await page.locator('#why-no-approve').waitFor();
  assert.equal(await page.getByRole('button', { name: 'Approve and issue' }).count(), 0);

  // The approver, in another browser, approves and watches it issue.
  const other = await app.browser.newContext({ viewport: PHONE, locale: 'en-US' });
  try {
    const ap = await other.newPage();
    const problems = [];
    ap.on('pageerror', (e) => problems.push(String(e)));
    await signIn(ap, 'approver@demo.vidya.test');
    await ap.goto(batchURL);
    await ap.getByLabel('Note', { exact: true }).fill('Checked against the score sheet.');
    await ap.getByRole('button', { name: 'Approve and issue' }).click();
    await ap.waitForURL(batchURL);
    // The event stream moves the counts; the page reloads when the state
    // changes to done.
    await ap.locator('#batch-state').getByText('Done').waitFor({ timeout: 20000 });
    await ap.locator('[data-count="issued"]').getByText('2').waitFor();
    assert.equal(await ap.locator('#batch-progress').getAttribute('value'), '100');
    const link = ap.locator('a[href*="/certificates/c/"]').first();
    const doc = (await link.textContent()).trim();
    t.diagnostic(`issued ${doc}`);
    await link.click();
    await ap.getByText('This certificate is genuine and in force.').waitFor();
    await ap.goto(`${app.base}/v/${doc}`);
    await ap.getByText('This certificate is genuine and in force.').waitFor();
    await ap.getByText('Browser Testing Course 2026').waitFor();
    assert.deepEqual(problems, []);
  } finally {
    await other.close();
  }
});

// onePagePDF is a small valid one-page PDF, filled light grey.
function onePagePDF() {
  const objs = ['<< /Type /Catalog /Pages 2 0 R >>', '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 842 595] /Contents 4 0 R /Resources << >> >>',
    '<< /Length 27 >>\nstream\n0.9 g 0 0 842 595 re f\n\nendstream'];
  let out = '%PDF-1.4\n';
  const offs = objs.map((o, i) => { const at = out.length; out += `${i + 1} 0 obj\n${o}\nendobj\n`; return at; });
  const x = out.length;
  out += `xref\n0 ${objs.length + 1}\n0000000000 65535 f \n`;
  for (const o of offs) out += `${String(o).padStart(10, '0')} 00000 n \n`;
  out += `trailer\n<< /Size ${objs.length + 1} /Root 1 0 R >>\nstartxref\n${x}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}

scenario('the live preview says when it leaves out a PDF background', async (page) => {
  await signIn(page, 'admin@demo.vidya.test');
  const name = `art-${Date.now().toString(36)}`;
  await page.goto(`${app.base}/a/DEMO/certificates/assets`);
  await page.locator('#f-file').setInputFiles({ name: `${name}.pdf`, mimeType: 'application/pdf', buffer: onePagePDF() });
  await page.locator('#f-name').fill(name);
  await page.getByRole('button', { name: 'Upload' }).click();
  await page.getByText(`${name} has been saved.`).waitFor();
  await page.getByRole('link', { name: 'PDF background' }).first().waitFor();

  await page.goto(`${app.base}/a/DEMO/certificates/types/new`);
  const note = page.locator('#preview-nobg');
  assert.equal(await note.isHidden(), true);
  const tpl = page.locator('#f-template');
  const plain = await tpl.inputValue();
  await tpl.fill(plain.replace('"elements": [', `"background": "${name}", "elements": [`));
  await note.waitFor({ state: 'visible', timeout: 10000 });
  assert.match(await note.textContent(), /leaves out the PDF background/);
  await tpl.fill(plain);
  await note.waitFor({ state: 'hidden', timeout: 10000 });
});
