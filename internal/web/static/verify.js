// A certificate's QR code opens /v/NUMBER#PAYLOAD: the payload, signed by
// the issuer, never reaches the server with the page. This script sends it
// to the verify API and says whether the printed details are the issuer's.

const box = document.getElementById('qr-check');
const payload = location.hash.slice(1);

function show(key, cls) {
  box.textContent = box.dataset[key];
  box.className = cls;
  box.hidden = false;
}

if (box && payload) {
  show('checking', 'hint');
  fetch('/api/v1/verify', { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: payload, credentials: 'omit' })
    .then((res) => {
      if (res.status >= 400 && res.status < 500 && res.status !== 404) return { status: 'tampered' };
      if (!res.ok) throw new Error(`status ${res.status}`);
      return res.json();
    })
    .then((v) => {
      if (v.status === 'tampered' || (v.doc_id && v.doc_id !== box.dataset.doc)) show('tampered', 'alert');
      else if (['valid', 'revoked', 'replaced', 'expired'].includes(v.status)) show('ok', 'ok');
      else show('foreign', 'warning');
    })
    .catch(() => show('failed', 'warning'));
  // The language switch keeps the payload.
  const sw = document.querySelector('a.switch');
  if (sw) {
    const u = new URL(sw.href);
    const next = u.searchParams.get('next');
    if (next && !next.includes('#')) {
      u.searchParams.set('next', `${next}#${payload}`);
      sw.href = u.pathname + u.search;
    }
  }
}
