// The item editor's "Insert image" control: an author uploads a picture
// from the picker, it goes in at the cursor of the stem, and the live
// preview shows it; a picture already stored can be picked by keyboard
// alone. Runs like vidya.test.mjs, against its own server:
//
//   go build -o /tmp/vidya ./cmd/vidya
//   cd tests/browser && npm ci && VIDYA_BIN=/tmp/vidya node --test

import assert from 'node:assert/strict';
import { deflateSync } from 'node:zlib';
import { useVidya, pageScenario } from './harness.mjs';

const PASSWORD = 'vidya-demo-pass';

const app = useVidya({ prefix: 'vidya-browser-img-' });
const scenario = pageScenario(app);

// png makes a small solid-colour PNG, different for each colour, so each
// upload is a new image in the store.
function png(r, g, b) {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf) => {
    let c = 0xffffffff;
    for (const x of buf) c = crcTable[(c ^ x) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const c = Buffer.alloc(4);
    c.writeUInt32BE(crc(td));
    return Buffer.concat([len, td, c]);
  };
  const w = 16;
  const h = 16;
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // truecolour
  const rows = [];
  for (let y = 0; y < h; y++) {
    rows.push(Buffer.from([0]));
    for (let x = 0; x < w; x++) rows.push(Buffer.from([r, g, b]));
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

// insertButton is the "Insert image" button the script puts after a field.
function insertButton(field) {
  return field.locator('xpath=following-sibling::button[1]');
}

async function signIn(page) {
  await page.goto(`${app.base}/signin`);
  await page.getByLabel('E-mail', { exact: true }).fill('author@demo.vidya.test');
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${app.base}/`);
}

scenario('an uploaded image goes in at the cursor of the stem and shows in the preview', async (page) => {
  await signIn(page);
  await page.goto(`${app.base}/a/DEMO/items/new?type=single_choice`);
  const stem = page.locator('fieldset[lang=en]').getByLabel('Question');
  await stem.fill('Look at the figure. Which shape is it?');
  // The cursor goes after "figure." (the author clicked there).
  const at = 'Look at the figure.'.length;
  await stem.evaluate((el, i) => el.setSelectionRange(i, i), at);

  // The button right after the stem, named for what it does and described
  // by the field's label.
  const button = insertButton(stem);
  assert.equal(await button.textContent(), 'Insert image');
  assert.equal(await button.evaluate((b) => document.getElementById(b.getAttribute('aria-describedby')).textContent), 'Question');
  await button.click();
  const dialog = page.getByRole('dialog', { name: 'Insert an image' });
  await dialog.waitFor();
  await dialog.getByText('No images are stored yet').waitFor();
  await dialog.getByLabel('Description of the image').fill('A red square');
  await dialog.getByLabel('Or upload a new image').setInputFiles({ name: 'red.png', mimeType: 'image/png', buffer: png(220, 20, 20) });
  await dialog.getByRole('button', { name: 'Upload and insert' }).click();
  await dialog.waitFor({ state: 'hidden' });

  const value = await stem.inputValue();
  const m = value.match(/^Look at the figure\.!\[A red square\]\((\/media\/DEMO\/[0-9a-f]{64}\.png)\) Which shape is it\?$/);
  assert.ok(m, `stem is ${JSON.stringify(value)}`);
  // The focus is back in the stem, just after the image.
  assert.equal(await page.evaluate(() => document.activeElement.id), 'f-text.en.stem');
  const caret = await stem.evaluate((el) => el.selectionStart);
  assert.equal(caret, value.indexOf(')') + 1);

  // The live preview shows the picture, loaded from the media store.
  const img = page.locator(`#preview img[src="${m[1]}"]`).first();
  await img.waitFor({ state: 'attached', timeout: 10000 });
  assert.equal(await img.getAttribute('alt'), 'A red square');
  // The preview's images load lazily: bring it into view.
  await img.scrollIntoViewIfNeeded();
  await page.waitForFunction((src) => {
    const el = document.querySelector(`#preview img[src="${src}"]`);
    return el && el.complete && el.naturalWidth === 16;
  }, m[1]);
});

scenario('a stored image is picked by keyboard into a choice', async (page) => {
  await signIn(page);
  // Store one image the way the images page does.
  await page.goto(`${app.base}/a/DEMO/items/images`);
  await page.getByLabel('Image').setInputFiles({ name: 'blue.png', mimeType: 'image/png', buffer: png(20, 20, 220) });
  await page.getByRole('button', { name: 'Upload image' }).click();
  const stored = await page.locator('#f-markdown').inputValue();
  const url = stored.slice(4, -1);

  await page.goto(`${app.base}/a/DEMO/items/new?type=single_choice`);
  const choice = page.getByLabel('Choice B (English)');
  await choice.fill('Blue: ');
  await choice.press('End');
  // Tab from the field reaches its button; Enter opens the picker.
  await choice.press('Tab');
  assert.equal(await page.evaluate(() => {
    const b = document.activeElement;
    return b.textContent + ' / ' + document.getElementById(b.getAttribute('aria-describedby')).textContent;
  }), 'Insert image / Choice B (English)');
  await page.keyboard.press('Enter');
  const dialog = page.getByRole('dialog', { name: 'Insert an image' });
  await dialog.waitFor();
  assert.equal(await page.evaluate(() => document.activeElement.id), 'ip-alt');
  await page.keyboard.type('A blue square');
  const pick = dialog.getByRole('button', { name: /^Insert image 1/ }).first();
  await pick.waitFor();
  assert.equal(await dialog.locator(`#ip-list img[src="${url}"]`).count(), 1);
  await pick.focus();
  await page.keyboard.press('Enter');
  await dialog.waitFor({ state: 'hidden' });
  assert.equal(await choice.inputValue(), `Blue: ![A blue square](${url})`);

  // Escape closes the picker without touching the text.
  await insertButton(page.locator('fieldset[lang=en]').getByLabel('Question')).click();
  await dialog.waitFor();
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'hidden' });
  assert.equal(await page.locator('fieldset[lang=en]').getByLabel('Question').inputValue(), '');
});

scenario('without JavaScript the editor keeps its link to the images page', async (page) => {
  await signIn(page);
  await page.goto(`${app.base}/a/DEMO/items/new?type=single_choice`);
  const link = page.getByRole('link', { name: 'Upload an image (opens a new tab)' });
  assert.equal(await link.getAttribute('href'), '/a/DEMO/items/images');
  assert.equal(await page.getByRole('button', { name: /^Insert image/ }).count(), 0);
  assert.equal(await page.getByRole('dialog').count(), 0);
}, { javaScriptEnabled: false });
