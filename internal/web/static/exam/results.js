// The candidate's result, response sheet and answer-key challenges, shown
// after the exam (the final view's "My result"). exam.js loads this module
// only then, so that the runner every candidate loads on exam day stays
// small; the views and their words are a fragment (/exam/results) this
// module loads in turn. Results need the network.
//
// offer(ctx) is the only entry: ctx is what the runner shares with it
// ($, el, api, tf, TXT, S, LANG, LANG_NAMES, fmtTime, title).

let $, el, api, tf, TXT, S, LANG, LANG_NAMES, fmtTime, title;

const R = { loaded: null, paper: null, result: null, lang: '', mine: [], closed: '' };

// offer loads the views (once) and shows the "My result" button.
export function offer(ctx) {
  ({ $, el, api, tf, TXT, S, LANG, LANG_NAMES, fmtTime, title } = ctx);
  if (!R.loaded) {
    R.loaded = fetch('/exam/results', { headers: { 'Accept-Language': LANG }, credentials: 'same-origin' })
      .then((res) => (res.ok ? res.text() : Promise.reject(new Error('HTTP ' + res.status))))
      .then((html) => {
        $('x-res-box').innerHTML = html;
        for (const d of $('x-res-text').querySelectorAll('data')) TXT[d.value] = d.textContent;
        $('x-res-open').addEventListener('click', openResult);
        $('x-res-lang').addEventListener('change', () => {
          R.lang = $('x-res-lang').value;
          renderSheet();
        });
        $('x-ch-q').addEventListener('change', proposalUI);
        $('x-ch-form').addEventListener('submit', fileChallenge);
      });
    R.loaded.catch(() => { R.loaded = null; });
  }
  R.loaded.then(() => { $('x-res-actions').hidden = false; }).catch(() => {});
}

// resultPaper is the candidate's paper, for the questions' wording.
async function resultPaper() {
  if (!R.paper) {
    const paper = S.paper || await api('GET', '/api/v1/exam/paper');
    R.paper = { ...paper, byId: new Map(paper.items.map((it) => [it.id, it])) };
  }
  return R.paper;
}

async function openResult() {
  const btn = $('x-res-open');
  btn.disabled = true;
  const note = $('x-res-note');
  note.hidden = true;
  try {
    const paper = await resultPaper();
    R.lang = R.lang || ((paper.languages || []).includes(LANG) ? LANG : (paper.languages || [])[0] || LANG);
    try {
      R.result = await api('GET', '/api/v1/exam/result');
    } catch (p) {
      if (p.status !== 409 || p.code !== 'results-not-published') throw p;
      R.result = null;
      note.textContent = S.practice ? p.message : TXT.res_unpublished;
      note.hidden = false;
    }
    if (R.result) renderResult();
    if (!S.practice) await loadChallenges();
  } catch (p) {
    note.textContent = p.message;
    note.hidden = false;
  } finally {
    btn.disabled = false;
  }
}

const num = (x) => String(Math.round(x * 100) / 100);

function renderResult() {
  const r = R.result;
  const dl = $('x-res-sum');
  const row = (k, v) => [el('dt', { textContent: k }), el('dd', { textContent: v })];
  const rows = [row(TXT.res_total, `${num(r.score)} / ${num(r.max)}`)];
  if (!S.practice) {
    rows.push(row(TXT.res_percentile, r.percentile), row(TXT.res_shift, r.shift), row(TXT.res_shift_rank, String(r.shift_rank)), row(TXT.res_overall, String(r.overall_rank)));
  }
  dl.replaceChildren(...rows.flat());
  if (r.pending) dl.append(el('dd', { textContent: tf('res_pending', r.pending) }));
  const secTitle = (id) => {
    const sec = (R.paper.sections || []).find((x) => x.id === id);
    return (sec && title(sec.title)) || id;
  };
  $('x-res-secs').replaceChildren(...(r.sections || []).map((s) => el('tr', {},
    el('th', { scope: 'row', textContent: secTitle(s.id) }), el('td', { textContent: `${num(s.score)} / ${num(s.max)}` }), el('td', { textContent: String(s.answered) }))));
  $('x-res-secs-box').hidden = !(r.sections || []).length;
  const langs = R.paper.languages || [];
  $('x-res-lang').replaceChildren(...langs.map((l) => new Option(LANG_NAMES[l] || l, l, false, l === R.lang)));
  $('x-res-lang').parentElement.hidden = langs.length < 2;
  renderSheet();
  $('x-res').hidden = false;
  $('x-res-h').focus();
}

// answerText writes a response or a key as the candidate saw the options:
// the letter of each choice in their order, and its text.
function answerText(it, slot, x) {
  if (!x) return '';
  const txt = (it.text || {})[R.lang] || Object.values(it.text || {})[0] || {};
  const order = (slot.choices && slot.choices.length ? slot.choices : it.choices) || [];
  const strip = (h) => { const d = document.createElement('div'); d.innerHTML = h || ''; return d.textContent.trim(); };
  const choice = (id) => {
    const i = order.indexOf(id);
    const t = strip(txt.choices?.[id]) || TXT[id] || id;
    return i >= 0 ? `${String.fromCharCode(65 + i)}. ${t}` : t;
  };
  const parts = [];
  if (x.choices?.length) parts.push(x.choices.map(choice).join(it.type === 'ordering' ? ' → ' : '; '));
  if (x.pairs) parts.push(Object.entries(x.pairs).map(([l, r]) => `${strip(txt.left?.[l]) || l} → ${strip(txt.right?.[r]) || r}`).join('; '));
  if (x.numeric) {
    const n = x.numeric;
    parts.push(n.range ? `${n.min} – ${n.max}` : n.tolerance ? `${n.value} ± ${n.tolerance}` : String(n.value));
  }
  if (x.text?.accepted) parts.push(x.text.accepted.join(' | '));
  else if (typeof x.text === 'string') parts.push(x.text);
  return parts.join('; ');
}

function renderSheet() {
  if (!R.result) return;
  const slots = R.paper.slots;
  const open = !S.practice && !R.closed;
  $('x-res-sheet').replaceChildren(...(R.result.sheet || []).map((e, i) => {
    const it = R.paper.byId.get(e.item_id) || { id: e.item_id, text: {} };
    const slot = slots[i] || {};
    const txt = it.text[R.lang] || Object.values(it.text)[0] || {};
    const li = el('li', { className: 'x-res-q', id: 'x-res-q' + e.item_id, lang: R.lang },
      el('h4', { textContent: tf('res_q', i + 1) }),
      el('div', { html: txt.stem || '' }));
    const dl = el('dl', { className: 'x-sum' },
      el('dt', { textContent: TXT.res_your }), el('dd', { textContent: answerText(it, slot, e.response) || TXT.res_none }),
      el('dt', { textContent: TXT.res_key }), el('dd', { textContent: (e.dropped ? TXT.res_dropped : (answerText(it, slot, e.key) || '—') + (e.corrected ? ' · ' + TXT.res_corrected : '')) }),
      el('dt', { textContent: TXT.res_marks }), el('dd', { textContent: num(e.score) + (e.correct ? ` (${TXT.res_correct})` : '') + (e.ignored ? ` — ${TXT.res_ignored}` : '') }));
    li.append(dl);
    const sol = e.solution && (e.solution[R.lang] || Object.values(e.solution)[0]);
    if (sol) li.append(el('h5', { textContent: TXT.res_solution }), el('div', { className: 'x-res-sol', html: sol }));
    if (open && it.type !== 'essay' && !R.mine.some((c) => c.item_id === e.item_id)) {
      li.append(el('p', {}, el('button', { type: 'button', className: 'secondary', textContent: TXT.ch_this, onclick: () => challengeItem(e.item_id) })));
    }
    return li;
  }));
  $('x-res-sheet-box').hidden = false;
}

// loadChallenges lists the candidate's challenges and offers the form for
// the questions not challenged yet.
async function loadChallenges() {
  const list = await api('GET', '/api/v1/exam/challenges');
  R.mine = list.items || [];
  // The window, from the server: the form only while it is open.
  if (!list.open) {
    const w = list.window;
    R.closed = w ? tf('ch_window', fmtTime(w.opens_at), fmtTime(w.closes_at)) : TXT.ch_no_window;
  }
  renderChallenges();
  $('x-ch').hidden = false;
}

function questionNo(id) {
  return R.paper.slots.findIndex((s) => s.item_id === id) + 1;
}

function renderChallenges() {
  const ul = $('x-ch-list');
  if (!R.mine.length) ul.replaceChildren(el('li', { textContent: TXT.ch_none }));
  else {
    ul.replaceChildren(...R.mine.map((c) => el('li', { className: 'x-ch-item' },
      el('strong', { textContent: tf('ch_item', questionNo(c.item_id)) + ': ' + (TXT['ch_status_' + c.status] || c.status) }),
      el('br'), document.createTextNode(c.reason))));
  }
  const sel = $('x-ch-q');
  const keep = sel.value;
  const opts = R.paper.slots.map((s, i) => [s, i]).filter(([s]) => {
    const it = R.paper.byId.get(s.item_id);
    return it && it.type !== 'essay' && !R.mine.some((c) => c.item_id === s.item_id);
  }).map(([s, i]) => new Option(tf('res_q', i + 1), String(s.item_id), false, String(s.item_id) === keep));
  sel.replaceChildren(...opts);
  const form = $('x-ch-form');
  form.hidden = !opts.length || !!R.closed;
  $('x-ch-closed').hidden = !R.closed;
  $('x-ch-closed').textContent = R.closed;
  proposalUI();
  renderSheet();
}

function challengeItem(id) {
  $('x-ch-q').value = String(id);
  proposalUI();
  $('x-ch-reason').focus();
}

// proposalUI offers the question's options (choice questions) or a text
// box for the answer the candidate thinks right.
function proposalUI() {
  const box = $('x-ch-prop');
  const it = R.paper?.byId.get(Number($('x-ch-q').value));
  box.replaceChildren();
  $('x-ch-prop-box').hidden = !it || it.type === 'ordering' || it.type === 'matching';
  if (!it) return;
  const i = R.paper.slots.findIndex((s) => s.item_id === it.id);
  const slot = R.paper.slots[i] || {};
  if (['single_choice', 'true_false', 'multiple_response'].includes(it.type)) {
    const multi = it.type === 'multiple_response';
    const order = (slot.choices && slot.choices.length ? slot.choices : it.choices) || [];
    order.forEach((id) => {
      const input = el('input', { type: multi ? 'checkbox' : 'radio', name: 'x-ch-choice', value: id, id: 'x-ch-c-' + id });
      box.append(el('p', {}, input, ' ', el('label', { htmlFor: 'x-ch-c-' + id, textContent: answerText(it, slot, { choices: [id] }) })));
    });
  } else if (it.type === 'numeric' || it.type === 'short_text') {
    box.append(el('label', { htmlFor: 'x-ch-text', textContent: TXT.ch_proposed_text }), el('input', { type: 'text', id: 'x-ch-text', autocomplete: 'off' }));
  }
}

async function fileChallenge(ev) {
  ev.preventDefault();
  const err = $('x-ch-err');
  err.hidden = true;
  const id = Number($('x-ch-q').value);
  const reason = $('x-ch-reason').value.trim();
  if (!id) return;
  if (reason.length < 10) {
    err.textContent = TXT.ch_reason_short;
    err.hidden = false;
    $('x-ch-reason').focus();
    return;
  }
  const body = { item_id: id, reason };
  const picked = [...$('x-ch-prop').querySelectorAll('input[name="x-ch-choice"]:checked')].map((x) => x.value);
  if (picked.length) body.proposed = { choices: picked };
  const text = $('x-ch-text')?.value.trim();
  if (text) body.proposed = { text };
  const btn = $('x-ch-send');
  btn.disabled = true;
  try {
    const c = await api('POST', '/api/v1/exam/challenges', body);
    R.mine.push(c);
    $('x-ch-reason').value = '';
    renderChallenges();
    $('x-res-note').textContent = tf('ch_filed', questionNo(id));
    $('x-res-note').hidden = false;
  } catch (p) {
    if (p.code === 'challenge-window-closed') {
      R.closed = p.message;
      renderChallenges();
    } else {
      const fields = Object.values(p.body?.errors || p.body?.fields || {});
      err.textContent = [p.message, ...fields].join(' ');
      err.hidden = false;
    }
  } finally {
    btn.disabled = false;
  }
}
