// Practice: feedback after each question. exam.js loads this module only
// for a learner's practice attempt (a mock test), never for an exam.
//
// On a mock test that gives feedback after each question, every save is
// answered with whether each answer was right, its marks and the
// solution. The runner shows it only for the questions the learner checks
// ("Check answer"), which sends the answer at once and locks the question.
// What the server said is kept on this device (IndexedDB), so it stays on
// revisiting the question and after a reload. Offline, the check waits:
// the answer is kept like any other and the feedback shows once it is
// sent.
//
// init(ctx) returns the hooks the runner calls; ctx is what the runner
// shares with it.

// init wires the "Check answer" button and returns the runner's hooks.
export function init(ctx) {
  const { $, el, api, tf, TXT, S, kvGet, kvPut, setAnswer, schedule, render, answered, itemAt, current } = ctx;
  const box = $('x-fb');
  const w = box.dataset; // the words
  // each: the test gives feedback after each question; fb: the questions
  // checked, item id → { seq, fb }, fb once the server has replied.
  let each = false;
  let fb = new Map();
  const keep = () => kvPut('fb:' + S.attempt, [...fb]);

  // check sends the answer to question id at once and locks the question.
  function check(id) {
    const a = S.answers.get(id);
    if (!a?.response || S.stopped) return;
    setAnswer(id, a.response, !!a.marked);
    fb.set(id, { seq: S.answers.get(id).seq });
    keep();
    schedule(0);
  }

  // ui shows the current question's "Check answer" button and feedback.
  function ui() {
    const it = itemAt(S.cur);
    const c = fb.get(it.id);
    const btn = $('x-check');
    // An essay is marked by a person: there is nothing to check at once.
    btn.hidden = !each || it.type === 'essay';
    btn.disabled = !!c || !answered(it.id) || !!S.stopped;
    const lang = $('x-question').lang;
    const wait = c && !c.fb && (S.failed === 'offline' || !navigator.onLine ? 'offline' : 'wait');
    // Drawn again only when it changes, so that it is announced once.
    const key = c ? `${it.id}:${wait || lang}` : '';
    if (box.dataset.key === key) return;
    box.dataset.key = key;
    box.hidden = !c;
    if (!c) return box.replaceChildren();
    if (wait) {
      box.dataset.kind = 'wait';
      return box.replaceChildren(el('p', { textContent: wait === 'offline' ? w.offline : TXT.status_saving }));
    }
    const f = c.fb;
    box.dataset.kind = f.correct ? 'good' : f.score > 0 ? 'part' : 'bad';
    box.replaceChildren(el('p', { className: 'x-fb-v', textContent: f.correct ? w.correct : f.score > 0 ? w.part : w.wrong }),
      el('p', { textContent: w.score.replace('%s', String(Math.round(f.score * 100) / 100)) }));
    const sl = f.solution[lang] ? lang : Object.keys(f.solution)[0];
    if (sl) {
      // Safe HTML rendered by the server, as the question's own text is.
      box.append(el('h3', { textContent: w.solution }), el('div', { className: 'x-fb-sol', lang: sl, html: f.solution[sl] }));
      box.dispatchEvent(new CustomEvent('vidya:content', { bubbles: true }));
    }
  }

  $('x-check').addEventListener('click', () => {
    check(current());
    render();
    box.focus();
  });

  return {
    ui,

    // score shows the result of a test just submitted, if it shows one.
    async score() {
      try {
        const r = await api('GET', '/api/v1/exam/result');
        $('x-end-score').textContent = tf('score', r.score, r.max);
        $('x-end-score').hidden = false;
      } catch {
        // a test without feedback, or offline: the summary stands
      }
    },

    // load reads what this device keeps of the attempt; paper.feedback, if
    // the paper says, tells whether the test gives feedback after each
    // question.
    async load(paper) {
      const a = S.attempt;
      each = paper.feedback === 'each' || (await kvGet('fbmode:' + a)) === 'each';
      fb = new Map((await kvGet('fb:' + a)) || []);
      box.dataset.key = '';
    },

    // locked says whether question id was checked: its answer is final.
    locked: (id) => fb.has(id),

    // recheck sends again the checked answers that the server holds but
    // whose reply was lost (the connection dropped while they were sent).
    recheck() {
      for (const [id, c] of fb) {
        if (!c.fb && !S.pending.has(id)) check(id);
      }
    },

    // feedback takes what the server said of the answers in batch: for a
    // question checked, the reply to its checked answer or a later one.
    // Only a test with feedback after each question replies so, whatever
    // the paper said.
    feedback(batch, list) {
      if (!each) {
        each = true;
        kvPut('fbmode:' + S.attempt, 'each');
      }
      let got = false;
      for (const f of list) {
        const c = fb.get(f.item_id);
        const r = batch.find((x) => x.item_id === f.item_id);
        if (c && !c.fb && r && r.seq >= c.seq) {
          c.fb = { correct: !!f.correct, score: +f.score || 0, solution: f.solution || {} };
          got = true;
        }
      }
      if (got) keep();
      ui();
    },

    // dropped unlocks the checked questions whose answers the server
    // refused for good: no feedback will come for them.
    dropped(recs) {
      const gone = recs.filter((r) => fb.has(r.item_id) && !fb.get(r.item_id).fb && fb.delete(r.item_id));
      if (!gone.length) return;
      keep();
      if (gone.some((r) => r.item_id === current())) render();
    },
  };
}
