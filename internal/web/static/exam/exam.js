// The candidate's exam runner: sign-in, instructions, the exam and its
// submission, over the exam-day API (/api/v1/exam/...). Plain ES module, no
// framework; the page (templates/exam.html) holds the markup and the words.
//
// Saving never loses an answer: every change gets a sequence number and is
// written to IndexedDB (one pending record per question, the latest) before
// it is sent; the sender sends every pending record in one request a moment
// after the last change, and at least every 30 s while any is pending,
// retrying with backoff; a record is deleted only once the server holds it.
//
// Tickets: the ticket is kept in sessionStorage (this tab, survives a
// reload, gone when the tab closes). A reload reuses it and asks for the
// state; it calls start again only when the server says the attempt was
// not started, or when the candidate takes the exam back from another
// device. A candidate who closes the tab signs in again: the attempt is
// resumed (start) and the answers still pending in IndexedDB are sent.
//
// Parts only some attempts need are modules of their own, loaded on demand
// from the URLs on this script's tag: the calculator (calc.js), practice
// feedback (practice.js) and the result views (results.js).

const $ = (id) => document.getElementById(id);
const ME = document.querySelector('script[data-results]').dataset;
const root = $('exam');
const LANG = root.dataset.lang;
const SIGNIN_H1 = $('x-h1').textContent;
const TXT = {};
for (const d of $('x-text').querySelectorAll('data')) TXT[d.value] = d.textContent;
const tf = (key, ...args) => {
  let i = 0;
  return TXT[key].replace(/%[ds]/g, () => String(args[i++]));
};
const LANG_NAMES = { en: 'English', hi: 'हिन्दी' };
const SS = 'vidya.exam';
const DEBOUNCE = 2000;
const MAX_WAIT = 30000;
const MAX_BATCH = 200;

// ---- IndexedDB: kv (paper, state, clock, visited) and pending answers ----

const dbp = new Promise((resolve) => {
  try {
    const r = indexedDB.open('vidya-exam', 1);
    r.onupgradeneeded = () => {
      r.result.createObjectStore('kv');
      r.result.createObjectStore('pending', { keyPath: 'k' });
    };
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => resolve(null);
  } catch {
    resolve(null);
  }
});

function tx(store, mode, fn) {
  return dbp.then((db) => db && new Promise((resolve, reject) => {
    const t = db.transaction(store, mode);
    const req = fn(t.objectStore(store));
    t.oncomplete = () => resolve(req.result);
    t.onerror = t.onabort = () => reject(t.error);
  }));
}
const kvGet = (k) => tx('kv', 'readonly', (s) => s.get(k)).catch(() => undefined);
const kvPut = (k, v) => tx('kv', 'readwrite', (s) => s.put(v, k)).catch(() => {});
const pendingOf = (a) => tx('pending', 'readonly', (s) => s.getAll())
  .then((l) => (l || []).filter((r) => r.attempt === a)).catch(() => []);

// ---- state ----

const S = {
  ticket: '', sess: null, started: false, attempt: '',
  paper: null, items: new Map(), answers: new Map(), pending: new Map(),
  visited: new Set(), qlang: new Map(), cur: 0, zoom: 0,
  deadline: 0, offset: 0,
  writes: Promise.resolve(), sending: null, failed: '', backoff: 0, retryAt: 0, first: 0,
  acked: new Map(), timers: [], sendTimer: 0, stopped: '',
};

// pr is the practice module's hooks (practice.js), on a practice attempt.
let pr = null;

function persist() {
  sessionStorage.setItem(SS, JSON.stringify({ ticket: S.ticket, sess: S.sess, started: S.started, offset: S.offset, zoom: S.zoom, done: S.done, counts: S.counts, practice: S.practice }));
}

// attemptOf reads the attempt id from a ticket (bytes 16–24), to key what
// this device keeps of the attempt.
function attemptOf(ticket) {
  const b = atob(ticket.replace(/-/g, '+').replace(/_/g, '/'));
  let n = 0n;
  for (let i = 16; i < 24; i++) n = (n << 8n) | BigInt(b.charCodeAt(i));
  return String(n);
}

const now = () => Date.now() + S.offset;

// ---- API ----

class Problem extends Error {
  constructor(status, body, message) {
    super(message || body?.detail || body?.title || `HTTP ${status}`);
    this.status = status;
    this.body = body || {};
    this.code = (this.body.type || '').split('/').pop();
  }
}

async function api(method, path, body) {
  const headers = { Accept: 'application/json', 'Accept-Language': LANG };
  if (S.ticket) headers.Authorization = 'Exam ' + S.ticket;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const t0 = Date.now();
  let res;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'omit', cache: 'no-store' });
  } catch {
    throw new Problem(0, null, TXT.network);
  }
  let data = null;
  try {
    data = await res.json();
  } catch {
    // a proxy's error page: status is enough
  }
  if (!res.ok) throw new Problem(res.status, data);
  if (data?.server_time) {
    // The request took (now − t0); the server read its clock about halfway.
    S.offset = Date.parse(data.server_time) - (t0 + Date.now()) / 2;
    kvPut('clock', S.offset);
  }
  if (data?.deadline) S.deadline = Date.parse(data.deadline);
  return data;
}

// ---- views ----

const VIEWS = ['x-signin', 'x-instr', 'x-run', 'x-taken', 'x-end'];
function show(id, heading) {
  for (const v of VIEWS) $(v).hidden = v !== id;
  $('x-loading').hidden = true;
  $('x-h1').textContent = heading;
  $('x-h1').classList.toggle('vh', id === 'x-run');
  document.body.classList.toggle('x-running', id === 'x-run');
}
function error(msg) {
  $('x-err').textContent = msg || '';
  $('x-err').hidden = !msg;
}
const fmtTime = (iso) => new Date(iso).toLocaleString(LANG === 'hi' ? 'hi-IN' : 'en-IN', { dateStyle: 'medium', timeStyle: 'short' });
function fmtDur(ms) {
  const s = Math.max(0, Math.ceil(ms / 1000));
  const p = (n) => String(n).padStart(2, '0');
  return `${Math.floor(s / 3600)}:${p(Math.floor(s / 60) % 60)}:${p(s % 60)}`;
}
function stopTimers() {
  for (const t of S.timers) clearInterval(t);
  S.timers = [];
  clearTimeout(S.sendTimer);
}

// ---- sign-in and instructions ----

$('x-signin').addEventListener('submit', async (e) => {
  e.preventDefault();
  const roll = $('x-roll').value.trim();
  const code = $('x-code').value.trim();
  if (!roll || !code) return error(TXT.required);
  const btn = e.target.querySelector('button');
  btn.disabled = true;
  try {
    S.ticket = '';
    const s = await api('POST', '/api/v1/exam/signin', { roll_no: roll, access_code: code });
    error('');
    S.sess = s;
    S.ticket = s.ticket;
    S.started = false;
    S.done = '';
    persist();
    if (s.status === 'submitted') return ended('submitted_title');
    if (s.status === 'in_progress') return start();
    instructions();
  } catch (p) {
    error(p.message);
  } finally {
    btn.disabled = false;
  }
});

function instructions() {
  const s = S.sess;
  $('x-i-name').textContent = s.name;
  $('x-i-roll').textContent = s.roll_no;
  $('x-i-shift').textContent = [s.shift, s.starts_at && fmtTime(s.starts_at), s.ends_at && fmtTime(s.ends_at)].filter(Boolean).join(' · ');
  // The paper's own instructions: safe HTML rendered by the server.
  const m = s.instructions || {};
  const html = m[LANG] || m[(s.languages || [])[0]] || '';
  $('x-i-paper').hidden = !html;
  $('x-i-paper-text').innerHTML = html;
  show('x-instr', s.exam_title);
  const tick = () => {
    const left = s.starts_at ? Date.parse(s.starts_at) - now() : 0;
    $('x-countdown').textContent = left > 0 ? tf('opens_in', fmtDur(left)) : TXT.open;
    $('x-start').disabled = left > 0 || !$('x-agree').checked;
  };
  tick();
  stopTimers();
  S.timers.push(setInterval(tick, 1000));
  $('x-agree').onchange = tick;
}

$('x-start').addEventListener('click', () => start());

async function start() {
  $('x-start').disabled = true;
  try {
    const st = await api('POST', '/api/v1/exam/start');
    S.ticket = st.ticket;
    S.started = true;
    persist();
    error('');
    await runner();
  } catch (p) {
    if (!stopped(p)) error(p.message);
    $('x-start').disabled = false;
  }
}

// ---- the runner ----

async function runner() {
  stopTimers();
  S.stopped = '';
  S.ending = false;
  S.endFlush = false;
  S.attempt = attemptOf(S.ticket);
  const a = S.attempt;
  $('x-loading').hidden = false;
  let paper;
  let state;
  let offline = false;
  try {
    paper = await api('GET', '/api/v1/exam/paper');
    kvPut('paper:' + a, paper);
  } catch (p) {
    if (p.status || !(paper = await kvGet('paper:' + a))) {
      $('x-loading').hidden = true;
      if (!stopped(p)) error(p.message);
      return;
    }
    offline = true;
  }
  try {
    state = await api('GET', '/api/v1/exam/state');
  } catch (p) {
    if (p.status || !(state = await kvGet('state:' + a))) {
      $('x-loading').hidden = true;
      if (!stopped(p)) error(p.message);
      return;
    }
    offline = true;
    S.offset = (await kvGet('clock')) ?? S.offset;
    S.deadline = Date.parse(state.deadline);
  }
  if (state.submitted_at) return ended('submitted_title', state);
  S.paper = paper;
  // Sections with their own time: only the open one can be answered.
  S.sectioned = paper.sections.some((sec) => sec.duration > 0);
  S.section = undefined;
  S.items = new Map(paper.items.map((it) => [it.id, it]));
  S.answers = new Map();
  for (const x of state.answers) S.answers.set(x.item_id, { response: x.response, marked: x.marked, seq: x.seq });
  S.acked = new Map(state.answers.map((x) => [x.item_id, x]));
  if (!offline) kvPut('state:' + a, state);
  S.visited = new Set([...((await kvGet('visited:' + a)) || []), ...S.answers.keys()]);
  // Answers this device has not had acknowledged go over the server's,
  // unless the server already holds a newer one.
  S.pending = new Map();
  for (const r of await pendingOf(a)) {
    const have = S.answers.get(r.item_id);
    if (!have || r.seq > have.seq) {
      S.answers.set(r.item_id, { response: r.response, marked: r.marked, seq: r.seq });
      S.pending.set(r.item_id, r);
    } else {
      S.writes = S.writes.then(() => tx('pending', 'readwrite', (s) => s.delete(r.k))).catch(() => {});
    }
  }
  S.first = S.pending.size ? Date.now() : 0;
  S.failed = offline ? 'offline' : '';
  // A learner's practice: feedback after each question, if the test
  // gives it, from its own module.
  if (S.practice && !pr) pr = await load('practice').then((m) => m.init(shared())).catch(() => null);
  await pr?.load(paper);
  S.cur = Math.min((await kvGet('cur:' + a)) || 0, paper.slots.length - 1);
  sectionFrom(state);
  const langs = paper.languages || [];
  S.defLang = langs.includes(LANG) ? LANG : langs[0];
  $('x-title').textContent = paper.title;
  $('x-cand').textContent = S.sess ? `${S.sess.name} · ${S.sess.roll_no}` : '';
  $('x-run').dataset.zoom = S.zoom;
  $('x-show-instr').hidden = !paper.instructions || !Object.keys(paper.instructions).length;
  $('x-prev').hidden = paper.navigation === 'linear';
  calculator(!!paper.calculator);
  tabs();
  show('x-run', paper.title);
  render();
  status();
  tick();
  S.timers.push(setInterval(tick, 1000));
  S.timers.push(setInterval(resync, 60000));
  S.timers.push(setInterval(() => {
    if (S.pending.size && Date.now() >= S.retryAt) send();
  }, MAX_WAIT));
  pr?.recheck();
  if (S.pending.size) schedule(0);
  keepMaths(paper);
}

// calculator offers the on-screen calculator if the paper allows one.
function calculator(on) {
  $('x-calc').hidden = $('x-calc-btn').hidden = true;
  if (on) load('calc').then((m) => m.mount($('x-calc'), $('x-calc-btn'))).catch(() => {});
}

// keepMaths has the service worker keep KaTeX when the paper has maths, so
// that questions still typeset after an offline reload.
async function keepMaths(paper) {
  const k = document.querySelector('script[data-katex]');
  if (!k || !('serviceWorker' in navigator) || !JSON.stringify(paper.items).includes('class=\\"math')) return;
  const reg = await navigator.serviceWorker.ready;
  reg.active?.postMessage({ keep: [k.dataset.katex, k.dataset.katexCss] });
}

const itemAt = (i) => S.items.get(S.paper.slots[i].item_id);
const answered = (id) => !!S.answers.get(id)?.response;
function stateOf(id) {
  const a = S.answers.get(id);
  if (a?.response) return a.marked ? 'am' : 'a';
  if (a?.marked) return 'm';
  return S.visited.has(id) ? 'na' : 'nv';
}
const sectionSlots = (sec) => S.paper.slots.map((s, i) => [s, i]).filter(([s]) => s.section === sec);

// sectionFrom takes the open section and when it closes from the
// server's state, and moves to it if the candidate is elsewhere.
function sectionFrom(state) {
  if (!S.sectioned || state.section === undefined) return;
  const moved = S.section !== undefined && S.section !== state.section;
  S.section = state.section;
  S.sectionCloses = Date.parse(state.section_closes);
  // Answers kept for a section that has closed would be refused for ever.
  for (const [id, r] of S.pending) {
    const slot = S.paper.slots.find((x) => x.item_id === id);
    if (slot && slot.section < S.section) forget([r]);
  }
  if (S.cur !== undefined && S.paper.slots[S.cur]?.section !== S.section) {
    S.cur = sectionSlots(S.section)[0]?.[1] ?? S.cur;
  }
  if (moved && S.items) render();
}
const canVisit = (i) => !S.sectioned || S.paper.slots[i]?.section === S.section;
const title = (m) => (m && (m[S.defLang] || m[LANG] || Object.values(m)[0])) || '';

function tabs() {
  const box = $('x-tabs');
  box.replaceChildren();
  box.hidden = S.paper.sections.length < 2;
  S.paper.sections.forEach((sec, n) => {
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = title(sec.title) || sec.id;
    b.addEventListener('click', () => {
      const first = S.paper.slots.findIndex((s) => s.section === n);
      if (first >= 0) go(first);
    });
    box.append(b);
  });
}

function go(i) {
  if (i < 0 || i >= S.paper.slots.length || !canVisit(i)) return;
  if (S.paper.navigation === 'linear' && i < S.cur) return;
  S.cur = i;
  kvPut('cur:' + S.attempt, i);
  render();
  $('x-qno').focus();
}

function render() {
  const n = S.paper.slots.length;
  const slot = S.paper.slots[S.cur];
  const it = itemAt(S.cur);
  if (!S.visited.has(it.id)) {
    S.visited.add(it.id);
    kvPut('visited:' + S.attempt, [...S.visited]);
  }
  const langs = (S.paper.languages || []).filter((l) => it.text[l]);
  const lang = S.qlang.get(it.id) || (langs.includes(S.defLang) ? S.defLang : langs[0] || Object.keys(it.text)[0]);
  const sel = $('x-qlang');
  sel.replaceChildren(...langs.map((l) => new Option(LANG_NAMES[l] || l, l, false, l === lang)));
  sel.parentElement.hidden = langs.length < 2;
  $('x-qno').textContent = tf('question_n', S.cur + 1, n);
  $('x-qno').tabIndex = -1;
  $('x-marks').textContent = tf('marks', it.marks) + (it.penalty ? ' · ' + tf('penalty', it.penalty) : '');
  const sec = S.paper.sections[slot.section] || {};
  const inSec = sectionSlots(slot.section);
  const done = inSec.filter(([s]) => answered(s.item_id)).length;
  const full = sec.attempt > 0 && done >= sec.attempt && !answered(it.id);
  $('x-attempt').hidden = !(sec.attempt > 0);
  if (sec.attempt > 0) $('x-attempt').textContent = tf('attempt_any', sec.attempt, inSec.length);
  $('x-full').hidden = !full;
  if (full) $('x-full').textContent = tf('attempt_full', done);

  const q = $('x-question');
  q.lang = lang;
  q.replaceChildren();
  const txt = it.text[lang] || {};
  const stem = document.createElement('div');
  stem.className = 'x-stem';
  stem.innerHTML = txt.stem || ''; // safe HTML rendered by the server
  q.append(stem, answerUI(it, slot, txt, full || !!pr?.locked(it.id)));
  q.dispatchEvent(new CustomEvent('vidya:content', { bubbles: true }));

  const linear = S.paper.navigation === 'linear';
  $('x-prev').disabled = S.cur === 0 || !canVisit(S.cur - 1);
  $('x-next').disabled = S.cur === n - 1 || !canVisit(S.cur + 1);
  $('x-next-sec').hidden = !S.sectioned || S.section >= S.paper.sections.length - 1;
  $('x-sec-wrap').hidden = !S.sectioned;
  $('x-clear').disabled = !answered(it.id) || !!pr?.locked(it.id);
  [...$('x-tabs').children].forEach((b, k) => {
    b.setAttribute('aria-pressed', String(k === slot.section));
    b.disabled = (linear && k < slot.section) || (S.sectioned && k !== S.section);
  });
  palette();
  pr?.ui();
}

function palette() {
  const slot = S.paper.slots[S.cur];
  const box = $('x-palette');
  box.replaceChildren();
  for (const [s, i] of sectionSlots(slot.section)) {
    const st = stateOf(s.item_id);
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'x-st ' + st;
    b.textContent = i + 1;
    b.setAttribute('aria-label', tf('pal_item', i + 1, TXT['state_' + st]));
    if (i === S.cur) b.setAttribute('aria-current', 'step');
    b.disabled = S.paper.navigation === 'linear' && i < S.cur;
    b.addEventListener('click', () => go(i));
    box.append(b);
  }
}

function el(tag, props = {}, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'html') e.innerHTML = v;
    else if (k in e) e[k] = v;
    else e.setAttribute(k, v);
  }
  e.append(...kids);
  return e;
}

// answerUI builds the inputs for one question; every change is saved.
function answerUI(it, slot, txt, locked) {
  const a = S.answers.get(it.id) || {};
  const r = a.response || {};
  const set = (resp) => {
    setAnswer(it.id, resp, !!S.answers.get(it.id)?.marked);
    palette();
    $('x-clear').disabled = !answered(it.id);
    pr?.ui();
  };
  const letter = (i) => String.fromCharCode(65 + i);
  const order = (ids, authored) => (ids && ids.length ? ids : authored) || [];
  switch (it.type) {
    case 'single_choice': case 'true_false': case 'multiple_response': {
      const multi = it.type === 'multiple_response';
      const fs = el('fieldset', { className: 'x-opts', disabled: locked }, el('legend', { className: 'vh', textContent: TXT.your_answer }));
      order(slot.choices, it.choices).forEach((id, i) => {
        const input = el('input', { type: multi ? 'checkbox' : 'radio', name: 'q' + it.id, value: id, checked: (r.choices || []).includes(id) });
        const text = txt.choices?.[id];
        fs.append(el('label', { className: 'x-opt' }, input, el('span', { className: 'x-letter', textContent: letter(i) }),
          el('span', text ? { html: text } : { textContent: TXT[id] || id })));
      });
      fs.addEventListener('change', () => {
        const ids = [...fs.querySelectorAll('input:checked')].map((x) => x.value);
        set(ids.length ? { choices: ids } : null);
      });
      return fs;
    }
    case 'ordering': {
      const ids = order(r.choices, order(slot.choices, it.choices)).slice();
      const list = el('ol', { className: 'x-order' });
      const draw = (focus) => {
        list.replaceChildren(...ids.map((id, i) => el('li', {},
          el('span', { className: 'x-otext', html: txt.choices?.[id] || id }),
          el('button', { type: 'button', className: 'x-mv', textContent: '↑', disabled: locked || i === 0, 'aria-label': `${TXT.move_up}: ${i + 1}`, 'data-i': i, 'data-d': -1 }),
          el('button', { type: 'button', className: 'x-mv', textContent: '↓', disabled: locked || i === ids.length - 1, 'aria-label': `${TXT.move_down}: ${i + 1}`, 'data-i': i, 'data-d': 1 }))));
        if (focus) list.querySelector(focus)?.focus();
        list.dispatchEvent(new CustomEvent('vidya:content', { bubbles: true }));
      };
      list.addEventListener('click', (e) => {
        const b = e.target.closest('button');
        if (!b) return;
        const i = +b.dataset.i;
        const j = i + +b.dataset.d;
        [ids[i], ids[j]] = [ids[j], ids[i]];
        set({ choices: ids.slice() });
        draw(`button[data-i="${j}"][data-d="${b.dataset.d}"]`);
      });
      draw();
      return list;
    }
    case 'matching': {
      const right = order(slot.right, it.right);
      const box = el('div', { className: 'x-match' });
      box.append(el('ol', { className: 'x-right' }, ...right.map((id, i) =>
        el('li', {}, el('span', { className: 'x-letter', textContent: i + 1 }), el('span', { html: txt.right?.[id] || id })))));
      const pairs = { ...(r.pairs || {}) };
      (it.left || []).forEach((id, i) => {
        const s = el('select', { id: 'x-m-' + i, disabled: locked },
          new Option(TXT.choose, ''), ...right.map((rid, k) => new Option(String(k + 1), rid, false, pairs[id] === rid)));
        s.addEventListener('change', () => {
          if (s.value) pairs[id] = s.value;
          else delete pairs[id];
          set(Object.keys(pairs).length ? { pairs: { ...pairs } } : null);
        });
        box.append(el('div', { className: 'x-pair' },
          el('label', { htmlFor: s.id }, el('span', { className: 'x-letter', textContent: letter(i) }), el('span', { html: txt.left?.[id] || id })), s));
      });
      return box;
    }
    default: {
      const essay = it.type === 'essay';
      const input = essay
        ? el('textarea', { id: 'x-ans', rows: 10, value: r.text || '', disabled: locked })
        : el('input', { id: 'x-ans', type: 'text', value: r.text || '', disabled: locked, autocomplete: 'off', inputMode: it.type === 'numeric' ? 'decimal' : 'text' });
      const count = el('p', { className: 'x-note', id: 'x-count' });
      const upd = () => { count.textContent = tf('essay_count', [...input.value].length); };
      input.addEventListener('input', () => {
        if (essay) upd();
        set(input.value.trim() ? { text: input.value } : null);
      });
      const box = el('div', { className: 'field' }, el('label', { htmlFor: 'x-ans', textContent: TXT.your_answer }), input);
      if (essay) {
        upd();
        box.append(count);
      }
      return box;
    }
  }
}

// ---- saving ----

function setAnswer(id, response, marked) {
  if (S.stopped) return;
  const a = S.answers.get(id) || { seq: 0 };
  a.response = response;
  a.marked = marked;
  a.seq = Math.max(a.seq + 1, Date.now());
  S.answers.set(id, a);
  const rec = { k: S.attempt + ':' + id, attempt: S.attempt, item_id: id, seq: a.seq, response, marked };
  S.pending.set(id, rec);
  // Written to this device first: the sender waits for the write.
  S.writes = S.writes.then(() => tx('pending', 'readwrite', (s) => s.put(rec))).catch(() => {});
  if (!S.first) S.first = Date.now();
  schedule();
  status();
}

// schedule sends a moment after the last change, but no later than 30 s
// after the oldest unsent one, and not before a backoff has run out.
function schedule(ms) {
  if (S.stopped) return;
  clearTimeout(S.sendTimer);
  let wait = ms ?? Math.min(DEBOUNCE, Math.max(0, S.first + MAX_WAIT - Date.now()));
  wait = Math.max(wait, S.retryAt - Date.now());
  S.sendTimer = setTimeout(send, wait);
}

function send() {
  if (!S.sending) S.sending = doSend().finally(() => { S.sending = null; });
  return S.sending;
}

async function doSend() {
  await S.writes;
  if (S.stopped || !S.pending.size) return;
  status(true);
  const batch = [...S.pending.values()].slice(0, MAX_BATCH);
  try {
    const res = await api('POST', '/api/v1/exam/answers', { answers: batch.map((r) => ({ item_id: r.item_id, seq: r.seq, response: r.response, marked: r.marked })) });
    forget(batch);
    // What the server holds, for an offline reload: answers acknowledged
    // since the state was read are no longer pending but must still show.
    for (const r of batch) {
      if (!(S.acked.get(r.item_id)?.seq >= r.seq)) S.acked.set(r.item_id, { item_id: r.item_id, seq: r.seq, response: r.response, marked: r.marked });
    }
    kvPut('state:' + S.attempt, { deadline: new Date(S.deadline).toISOString(), answers: [...S.acked.values()] });
    S.failed = '';
    S.backoff = 0;
    S.retryAt = 0;
    if (res?.feedback?.length) pr?.feedback(batch, res.feedback);
  } catch (p) {
    if (!p.status || p.status >= 500 || p.status === 429) {
      S.failed = p.status ? 'retry' : 'offline';
      S.backoff = Math.min(MAX_WAIT, S.backoff ? S.backoff * 2 : 1000);
      S.retryAt = Date.now() + S.backoff / 2 + Math.random() * S.backoff / 2;
    } else if (p.status === 422) {
      // The server will never take these answers (a bug, not the
      // candidate's doing): drop the ones it names so the rest get through.
      const bad = new Set(Object.keys(p.body.errors || {}).map((k) => +k.split('.')[1]).filter((i) => i >= 0));
      const dropped = bad.size ? batch.filter((_, i) => bad.has(i)) : batch;
      forget(dropped);
      pr?.dropped(dropped);
      S.failed = '';
    } else {
      stopped(p);
    }
  }
  status();
  if (S.pending.size && !S.stopped) {
    S.first = S.first || Date.now();
    schedule(S.failed ? 0 : 10);
  } else {
    S.first = 0;
  }
}

// forget deletes the pending records that were sent, unless a newer change
// replaced them in the meantime.
function forget(recs) {
  for (const r of recs) {
    const p = S.pending.get(r.item_id);
    if (p && p.seq <= r.seq) {
      S.pending.delete(r.item_id);
      S.writes = S.writes.then(() => tx('pending', 'readwrite', (s) => s.delete(r.k))).catch(() => {});
    }
  }
}

// flush sends until nothing is pending or a send fails.
async function flush() {
  clearTimeout(S.sendTimer);
  S.retryAt = 0;
  for (let i = 0; i < 5 && S.pending.size && !S.stopped; i++) {
    await send();
    if (S.failed) break;
  }
}

function status(busy) {
  const n = S.pending.size;
  const box = $('x-status');
  let kind = 'ok';
  let text = TXT.status_saved;
  if (n && (S.failed === 'offline' || !navigator.onLine)) {
    kind = 'bad';
    text = tf('status_offline', n);
  } else if (n && S.failed === 'retry' && !busy) {
    kind = 'bad';
    text = tf('status_retry', n);
  } else if (n) {
    kind = 'busy';
    text = TXT.status_saving;
  }
  if (box.textContent !== text) box.textContent = text;
  box.dataset.kind = kind;
  pr?.ui();
}

window.addEventListener('online', () => {
  S.backoff = 0;
  S.retryAt = 0;
  if (S.pending.size && !S.stopped) send();
  if (S.paper) status();
});
window.addEventListener('offline', () => {
  if (S.paper) status();
});

// stopped acts on the problems that end saving on this device; it reports
// whether p was one of them.
function stopped(p) {
  switch (p.code) {
    case 'taken-over':
      S.stopped = 'taken';
      stopTimers();
      show('x-taken', S.paper?.title || S.sess?.exam_title || '');
      return true;
    case 'deadline-passed':
      S.stopped = 'time';
      ended('time_up');
      return true;
    case 'attempt-submitted':
      ended('submitted_title');
      return true;
    case 'not-started':
      start();
      return true;
    case 'section-closed':
      resync();
      return true;
  }
  if (p.status === 401) {
    // The ticket expired: sign in again; pending answers stay on this
    // device and are sent once the attempt is resumed.
    S.stopped = 'signin';
    stopTimers();
    sessionStorage.removeItem(SS);
    show('x-signin', SIGNIN_H1);
    error(p.message);
    return true;
  }
  return false;
}

$('x-take-back').addEventListener('click', () => start());

// ---- time ----

function tick() {
  const left = S.deadline - now();
  $('x-timer').textContent = fmtDur(left);
  if (S.sectioned && S.sectionCloses) {
    const sleft = S.sectionCloses - now();
    $('x-sec-timer').textContent = fmtDur(sleft);
    if (sleft <= 0 && left > 0 && !S.secSync) {
      // The section's time is up: send what is kept, then ask the server
      // which section is open now.
      S.secSync = true;
      flush().then(resync).finally(() => { S.secSync = false; });
    }
  }
  $('x-timer').parentElement.classList.toggle('x-low', left < 5 * 60000);
  if (left <= 5000 && S.pending.size && !S.endFlush) {
    S.endFlush = true;
    flush();
  }
  if (left <= 0) timeUp();
}

async function timeUp() {
  if (S.ending || S.stopped) return;
  S.ending = true;
  stopTimers();
  await flush();
  ended('time_up');
}

async function resync() {
  try {
    const st = await api('GET', '/api/v1/exam/state');
    kvPut('state:' + S.attempt, st);
    S.acked = new Map(st.answers.map((x) => [x.item_id, x]));
    if (st.submitted_at) return ended('submitted_title', st);
    sectionFrom(st);
  } catch (p) {
    if (p.status) stopped(p);
  }
}

// ---- controls ----

function current() {
  return itemAt(S.cur).id;
}
$('x-next-sec').addEventListener('click', async (e) => {
  if (!window.confirm(TXT.next_section_confirm)) return;
  e.target.disabled = true;
  try {
    await flush();
    const st = await api('POST', '/api/v1/exam/next-section');
    sectionFrom(st);
    render();
  } catch (p) {
    if (!p.status || !stopped(p)) error(p.message);
  } finally {
    e.target.disabled = false;
  }
});
// The legend is on the page once, in the instructions; this is the palette's.
$('x-legend').append($('x-instr').querySelector('.x-legend-list').cloneNode(true));
$('x-prev').addEventListener('click', () => go(S.cur - 1));
$('x-next').addEventListener('click', () => go(S.cur + 1));
$('x-save').addEventListener('click', () => {
  const id = current();
  const a = S.answers.get(id);
  if (a?.marked) setAnswer(id, a.response, false);
  else if (S.pending.size) schedule(0);
  S.cur < S.paper.slots.length - 1 ? go(S.cur + 1) : render();
});
$('x-mark').addEventListener('click', () => {
  const id = current();
  const a = S.answers.get(id);
  setAnswer(id, a?.response || null, true);
  S.cur < S.paper.slots.length - 1 ? go(S.cur + 1) : render();
});
$('x-clear').addEventListener('click', () => {
  const id = current();
  setAnswer(id, null, !!S.answers.get(id)?.marked);
  render();
});
$('x-qlang').addEventListener('change', (e) => {
  S.qlang.set(current(), e.target.value);
  render();
});
for (const [id, d] of [['x-zoom-out', -1], ['x-zoom-in', 1]]) {
  $(id).addEventListener('click', () => {
    S.zoom = Math.max(-2, Math.min(4, S.zoom + d));
    $('x-run').dataset.zoom = S.zoom;
    persist();
  });
}
$('x-show-instr').addEventListener('click', () => {
  const m = S.paper.instructions || {};
  // Safe HTML rendered by the server from the paper's Markdown.
  $('x-instr-text').innerHTML = m[S.defLang] || Object.values(m)[0] || '';
  $('x-instr-dlg').showModal();
});
$('x-instr-close').addEventListener('click', () => $('x-instr-dlg').close());

function counts(answers) {
  let a = 0;
  let m = 0;
  for (const x of answers) {
    if (x.response) a++;
    if (x.marked) m++;
  }
  return { a, m };
}

$('x-submit').addEventListener('click', () => {
  const c = counts(S.answers.values());
  $('x-sum-a').textContent = c.a;
  $('x-sum-na').textContent = S.paper.slots.length - c.a;
  $('x-sum-m').textContent = c.m;
  $('x-sum-err').hidden = true;
  $('x-sum-dlg').showModal();
});
$('x-sum-no').addEventListener('click', () => $('x-sum-dlg').close());
$('x-sum-yes').addEventListener('click', async (e) => {
  e.target.disabled = true;
  try {
    await flush();
    if (S.pending.size) throw new Problem(0, null, TXT.submit_offline);
    const st = await api('POST', '/api/v1/exam/submit');
    $('x-sum-dlg').close();
    ended('submitted_title', st);
    pr?.score();
  } catch (p) {
    if (p.status && stopped(p)) {
      $('x-sum-dlg').close();
    } else {
      $('x-sum-err').textContent = p.status ? p.message : TXT.submit_offline;
      $('x-sum-err').hidden = false;
    }
  } finally {
    e.target.disabled = false;
  }
});

function ended(key, state) {
  stopTimers();
  S.stopped = S.stopped || 'done';
  S.done = key;
  if (state?.answers) S.answers = new Map(state.answers.map((x) => [x.item_id, x]));
  if (S.paper || state?.answers) S.counts = counts(S.answers.values());
  persist();
  const c = S.counts;
  $('x-end-a').parentElement.hidden = !c;
  if (c) {
    $('x-end-a').textContent = c.a;
    $('x-end-m').textContent = c.m;
  }
  $('x-end-h').textContent = TXT[key];
  show('x-end', S.paper?.title || S.sess?.exam_title || TXT[key]);
  resultsOffer();
}

// ---- the modules loaded on demand ----

const mods = {};
// load imports one of the runner's modules, with its stylesheet if it has
// one; a failed load is tried again next time.
function load(name) {
  if (!mods[name]) {
    if (ME[name + 'Css']) document.head.append(el('link', { rel: 'stylesheet', href: ME[name + 'Css'] }));
    mods[name] = import(ME[name]);
    mods[name].catch(() => { delete mods[name]; });
  }
  return mods[name];
}

// shared is what the runner shares with its modules.
const shared = () => ({
  $, el, api, tf, TXT, S, LANG, LANG_NAMES, fmtTime, title,
  kvGet, kvPut, setAnswer, schedule, render, answered, itemAt, current,
});

// resultsOffer offers the result and challenges, after the exam.
function resultsOffer() {
  load('results').then((m) => m.offer(shared())).catch(() => {});
}

// ---- start-up ----

if ('serviceWorker' in navigator) {
  navigator.serviceWorker.register('/exam/sw.js', { scope: '/exam/' }).catch(() => {});
}

(async () => {
  let saved = null;
  try {
    saved = JSON.parse(sessionStorage.getItem(SS) || 'null');
  } catch {
    // a damaged entry: start again
  }
  // A learner's mock test arrives with its ticket in the fragment, which
  // never reaches the server's logs; it is kept like a candidate's.
  const m = /^#ticket=([A-Za-z0-9_-]+)$/.exec(location.hash);
  if (m) {
    history.replaceState(null, '', location.pathname);
    saved = { ticket: m[1], sess: null, started: true, offset: 0, zoom: saved?.zoom || 0, done: '', practice: true };
    Object.assign(S, { ticket: m[1], sess: null, started: true, done: '', practice: true });
    persist();
  }
  if (!saved?.ticket) return show('x-signin', SIGNIN_H1);
  Object.assign(S, { ticket: saved.ticket, sess: saved.sess, started: saved.started, offset: saved.offset || 0, zoom: saved.zoom || 0, done: saved.done || '', counts: saved.counts, practice: !!saved.practice });
  if (S.done) return ended(S.done);
  if (!S.started) return instructions();
  await runner();
})();
