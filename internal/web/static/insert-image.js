// Insert an image at the cursor in the item editor. Each Markdown field
// (stems, choices, explanations, matching items: the inputs named text.…)
// gets an "Insert image" button after it. The button opens a dialog that
// lists the images already stored for the authority and can upload a new
// one; choosing one puts ![alt](url) where the field's cursor was, and the
// live preview follows. Without JavaScript the template stays inert and the
// link to the images page does the job.

const form = document.getElementById('editor');
const tpl = document.getElementById('image-picker');

if (form && tpl && tpl.dataset.images && 'HTMLDialogElement' in window) {
  init(form, tpl);
}

function init(form, tpl) {
  const url = tpl.dataset.images;
  const dialog = tpl.content.querySelector('dialog').cloneNode(true);
  document.body.append(dialog);
  const text = dialog.dataset;
  const list = dialog.querySelector('#ip-list');
  const status = dialog.querySelector('#ip-status');
  const alt = dialog.querySelector('#ip-alt');
  const file = dialog.querySelector('#ip-file');
  const upload = dialog.querySelector('#ip-upload');

  // The field being written in, and its selection when the dialog opened.
  let target = null;
  let start = 0;
  let end = 0;
  let opener = null;

  const say = (msg) => { status.textContent = msg; };

  function insert(src) {
    const field = target;
    if (!field) return;
    // Markdown's ] and ) would end the alt text and the URL early.
    const words = alt.value.trim().replace(/[\[\]\\]/g, (c) => '\\' + c);
    const ref = src.replace(/[()\s]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0'));
    const md = '![' + words + '](' + ref + ')';
    field.setRangeText(md, start, end, 'end');
    target = null;
    dialog.close();
    field.focus();
    // The live preview listens for input on the form.
    field.dispatchEvent(new Event('input', { bubbles: true }));
  }

  function show(images) {
    list.replaceChildren();
    images.forEach((im, i) => {
      const li = document.createElement('li');
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'secondary';
      b.dataset.url = im.url;
      const img = document.createElement('img');
      img.src = im.url;
      img.alt = '';
      img.width = 96;
      img.loading = 'lazy';
      const label = document.createElement('span');
      label.textContent = text.pick.replace('%d', String(i + 1)) + ' · ' + new Date(im.uploaded).toLocaleDateString();
      b.append(img, ' ', label);
      b.addEventListener('click', () => insert(im.url));
      li.append(b);
      list.append(li);
    });
  }

  async function load() {
    say(text.loading);
    list.replaceChildren();
    try {
      const res = await fetch(url, { headers: { Accept: 'application/json' }, credentials: 'same-origin' });
      if (!res.ok) throw new Error(String(res.status));
      const body = await res.json();
      show(body.images);
      say(body.images.length ? '' : text.empty);
    } catch {
      say(text.failed);
    }
  }

  upload.addEventListener('click', async () => {
    if (!file.files.length) {
      say(text.chooseFile);
      file.focus();
      return;
    }
    const body = new FormData();
    body.append('image', file.files[0]);
    say(text.uploading);
    upload.disabled = true;
    try {
      const res = await fetch(url, { method: 'POST', body, headers: { Accept: 'application/json' }, credentials: 'same-origin' });
      const out = await res.json().catch(() => ({}));
      if (!res.ok || !out.url) {
        say(out.error || text.failed);
        return;
      }
      file.value = '';
      say('');
      insert(out.url);
    } catch {
      say(text.failed);
    } finally {
      upload.disabled = false;
    }
  });

  dialog.addEventListener('close', () => {
    target = null;
    if (opener && document.activeElement === document.body) opener.focus();
  });

  function open(field, button) {
    target = field;
    start = field.selectionStart ?? field.value.length;
    end = field.selectionEnd ?? start;
    opener = button;
    alt.value = '';
    dialog.showModal();
    alt.focus();
    load();
  }

  const fields = form.querySelectorAll('textarea[name^="text."], input[type="text"][name^="text."]');
  for (const field of fields) {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'secondary insert-image';
    b.textContent = text.insert;
    // The button says which field it fills through a description, not its
    // name, so the field's label still names only the field.
    const label = form.querySelector('label[for="' + CSS.escape(field.id) + '"]');
    if (label) {
      if (!label.id) label.id = field.id + '-label';
      b.setAttribute('aria-describedby', label.id);
    }
    b.setAttribute('aria-haspopup', 'dialog');
    // A field keeps its selection when it loses focus, so the click can
    // still read where the cursor was.
    b.addEventListener('click', () => open(field, b));
    field.insertAdjacentElement('afterend', b);
  }
}
