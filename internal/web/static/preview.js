// Live preview for the item editor: on input, after a pause, posts the form
// to the preview URL and swaps the rendered item in. Without JavaScript the
// "Preview" button does the same with a page load.

const form = document.getElementById('editor');
const target = document.getElementById('preview');
let timer = 0;
let seq = 0;

async function refresh() {
  const mine = ++seq;
  const body = new URLSearchParams(new FormData(form));
  try {
    const res = await fetch(form.dataset.preview, { method: 'POST', body, credentials: 'same-origin' });
    if (!res.ok || mine !== seq) return;
    target.innerHTML = await res.text();
    target.dispatchEvent(new Event('vidya:content', { bubbles: true }));
  } catch {
    // A failed preview leaves the last one; saving still works.
  }
}

if (form && target && form.dataset.preview) {
  form.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(refresh, 600);
  });
}
