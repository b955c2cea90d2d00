// The certificate pages' scripts: the type editor's live preview and a
// batch's live progress. Without JavaScript the editor's "Refresh preview"
// button and the batch page's own refresh do the same.

const editor = document.getElementById('cert-editor');
if (editor && editor.dataset.preview) livePreview(editor);
const batch = document.getElementById('batch');
if (batch && batch.dataset.events) liveProgress(batch);

// livePreview posts the form, after a pause in typing, to the preview URL
// and shows the PNG it answers, or the problems (JSON) that keep it from
// rendering. The image is shown as a data: URL, which the CSP allows.
function livePreview(form) {
  const img = document.getElementById('preview-img');
  const problems = document.getElementById('preview-problems');
  const pdf = document.getElementById('preview-pdf');
  const nobg = document.getElementById('preview-nobg');
  let timer = 0;
  let seq = 0;
  async function refresh() {
    const mine = ++seq;
    const body = new URLSearchParams();
    for (const [k, v] of new FormData(form)) {
      if (typeof v === 'string' && k !== 'do') body.append(k, v);
    }
    try {
      const res = await fetch(form.dataset.preview, { method: 'POST', body, credentials: 'same-origin' });
      if (mine !== seq) return;
      if (res.ok && res.headers.get('Content-Type') === 'image/png') {
        const url = await dataURL(await res.blob());
        if (mine !== seq) return;
        img.src = url;
        img.hidden = false;
        img.classList.remove('stale');
        problems.hidden = true;
        if (nobg) nobg.hidden = res.headers.get('X-Preview-Without-Background') !== 'true';
        const draft = res.headers.get('X-Preview-Draft');
        if (pdf && draft) pdf.href = `${form.dataset.preview}?d=${draft}&format=pdf`;
        return;
      }
      const answer = await res.json().catch(() => null);
      if (mine !== seq) return;
      const items = ((answer && answer.problems) || []).map((text) => {
        const li = document.createElement('li');
        li.textContent = text;
        return li;
      });
      problems.querySelector('ul').replaceChildren(...items);
      problems.hidden = false;
      img.classList.add('stale');
    } catch {
      // Offline or the server is busy: the last preview stays.
    }
  }
  form.addEventListener('input', (e) => {
    if (e.target.type === 'file') return;
    clearTimeout(timer);
    timer = setTimeout(refresh, 600);
  });
}

function dataURL(blob) {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(r.result);
    r.onerror = () => reject(r.error);
    r.readAsDataURL(blob);
  });
}

// liveProgress follows the batch's event stream, updating the counts and
// the progress bar; when the state changes the page is loaded again, for
// the buttons of the new state.
function liveProgress(section) {
  const events = new EventSource(section.dataset.events);
  const bar = document.getElementById('batch-progress');
  const state = document.getElementById('batch-state');
  events.addEventListener('progress', (e) => {
    const p = JSON.parse(e.data);
    for (const el of section.querySelectorAll('[data-count]')) {
      const v = p[el.dataset.count];
      if (v !== undefined) el.textContent = String(v);
    }
    if (bar) bar.value = p.percent;
    if (state) {
      state.textContent = p.state_label;
      state.className = `tag st-${p.state}`;
    }
    if (p.state !== section.dataset.state || p.final) {
      events.close();
      if (p.state !== section.dataset.state) location.reload();
    }
  });
}
