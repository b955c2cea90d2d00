// Sets an exam up through the API as the demo staff would (the sequence of
// bench/examload's setUp): items written, reviewed and published, a test
// published, an exam with a shift open now, candidates registered from CSV
// and access codes issued as CSV.

const PASSWORD = 'vidya-demo-pass';

async function staff(base, email) {
  const res = await fetch(`${base}/api/v1/auth/signin`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ email, password: PASSWORD }),
  });
  const cookie = (res.headers.getSetCookie() || []).map((c) => c.split(';')[0]).find((c) => c.startsWith('vidya_session='));
  if (!cookie) throw new Error(`sign-in as ${email}: status ${res.status}`);
  return async (method, path, body, want, type = 'application/json') => {
    const r = await fetch(base + path, {
      method, headers: { Cookie: cookie, 'Content-Type': type },
      body: body === undefined ? undefined : type === 'application/json' ? JSON.stringify(body) : body,
    });
    const text = await r.text();
    if (r.status !== want) throw new Error(`${method} ${path}: ${r.status} ${text}`);
    return type === 'application/json' && text.startsWith('{') ? JSON.parse(text) : text;
  };
}

const both = (en, hi, extra = {}) => ({ en: { stem: en, ...extra.en }, hi: { stem: hi, ...extra.hi } });

// ITEMS are the paper's questions, in order: section A then section B.
export const ITEMS = [
  { type: 'single_choice', text: both('Which planet is the largest?', 'सबसे बड़ा ग्रह कौन सा है?', {
    en: { choices: { A: 'Jupiter', B: 'Mars', C: 'Venus', D: 'Mercury' } },
    hi: { choices: { A: 'बृहस्पति', B: 'मंगल', C: 'शुक्र', D: 'बुध' } } }),
    choices: [{ id: 'A' }, { id: 'B' }, { id: 'C' }, { id: 'D' }], key: { choices: ['A'] }, scoring: { marks: 4, penalty: 1 } },
  { type: 'multiple_response', text: both('Which of these are prime numbers?', 'इनमें से कौन-सी अभाज्य संख्याएँ हैं?', {
    en: { choices: { A: 'Two', B: 'Three', C: 'Four', D: 'Nine' } },
    hi: { choices: { A: 'दो', B: 'तीन', C: 'चार', D: 'नौ' } } }),
    choices: [{ id: 'A' }, { id: 'B' }, { id: 'C' }, { id: 'D' }], key: { choices: ['A', 'B'] }, scoring: { marks: 4 } },
  { type: 'true_false', text: both('Water boils at 100 °C at sea level.', 'समुद्र तल पर पानी 100 °C पर उबलता है।', {
    en: { choices: { true: 'True', false: 'False' } }, hi: { choices: { true: 'सत्य', false: 'असत्य' } } }),
    choices: [{ id: 'true' }, { id: 'false' }], key: { choices: ['true'] }, scoring: { marks: 1 } },
  { type: 'numeric', text: both('What is $6 \\times 7$?', '$6 \\times 7$ कितना है?'), key: { numeric: { value: 42 } }, scoring: { marks: 2 } },
  { type: 'ordering', text: both('Put these in order, smallest first.', 'इन्हें छोटे से बड़े क्रम में लगाएँ।', {
    en: { choices: { A: 'One', B: 'Ten', C: 'Hundred' } }, hi: { choices: { A: 'एक', B: 'दस', C: 'सौ' } } }),
    choices: [{ id: 'A' }, { id: 'B' }, { id: 'C' }], key: { choices: ['A', 'B', 'C'] }, scoring: { marks: 2 } },
  { type: 'matching', text: both('Match each city with its country.', 'प्रत्येक शहर को उसके देश से मिलाएँ।', {
    en: { left: { L1: 'Delhi', L2: 'Tokyo' }, right: { R1: 'India', R2: 'Japan' } },
    hi: { left: { L1: 'दिल्ली', L2: 'टोक्यो' }, right: { R1: 'भारत', R2: 'जापान' } } }),
    left: ['L1', 'L2'], right: ['R1', 'R2'], key: { pairs: { L1: 'R1', L2: 'R2' } }, scoring: { marks: 2 } },
  { type: 'short_text', text: both('What is the capital of France?', 'फ़्रांस की राजधानी क्या है?'), key: { text: { accepted: ['Paris'] } }, scoring: { marks: 1 } },
  { type: 'essay', text: both('Describe your town in a few lines.', 'अपने शहर का कुछ पंक्तियों में वर्णन करें।'), key: {}, scoring: { marks: 5 } },
];

// setUpExam makes the exam and returns its candidates' roll numbers and
// access codes (as issued: with dashes, in capitals). The shift opened a
// minute ago; the paper lasts duration seconds, or, given sectionTimes,
// its two sections have those times (seconds) of their own.
export async function setUpExam(base, candidates, duration = 3600, sectionTimes = null) {
  const author = await staff(base, 'author@demo.vidya.test');
  const approver = await staff(base, 'approver@demo.vidya.test');
  const admin = await staff(base, 'admin@demo.vidya.test');
  const ids = [];
  for (const item of ITEMS) {
    let made = await author('POST', '/api/v1/authorities/DEMO/items', item, 201);
    for (const status of ['reviewed', 'published']) {
      made = await approver('POST', `/api/v1/authorities/DEMO/items/${made.id}/status`, { revision: made.revision, status }, 200);
    }
    ids.push(made.id);
  }
  const q = (from, to) => ids.slice(from, to).map((id) => ({ item_id: id }));
  const test = await author('POST', '/api/v1/authorities/DEMO/tests', {
    kind: 'exam', title: 'Runner check', languages: ['en', 'hi'], duration: sectionTimes ? 0 : duration,
    instructions: { en: 'Answer every question.\n\nNo calculators.', hi: 'हर प्रश्न का उत्तर दें।\n\nकैलकुलेटर नहीं।' },
    sections: [
      { id: 'A', title: { en: 'Part A', hi: 'भाग क' }, questions: q(0, 4), ...(sectionTimes && { duration: sectionTimes[0] }) },
      { id: 'B', title: { en: 'Part B', hi: 'भाग ख' }, questions: q(4, 8), ...(sectionTimes && { duration: sectionTimes[1] }) },
    ],
  }, 201);
  await approver('POST', `/api/v1/authorities/DEMO/tests/${test.id}/publish`, { revision: test.revision }, 200);
  const exam = await admin('POST', '/api/v1/authorities/DEMO/exams', { test_id: test.id, title: 'Runner check exam' }, 201);
  const t = Date.now();
  const iso = (ms) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
  await admin('POST', `/api/v1/authorities/DEMO/exams/${exam.id}/shifts`,
    { code: 'NOW', starts_at: iso(t - 60000), late_entry: 6 * 3600, ends_at: iso(t + 10 * 3600 * 1000) }, 201);
  const csv = ['roll_no,name,shift', ...candidates.map((c) => `${c.roll},${c.name},NOW`)].join('\n') + '\n';
  await admin('POST', `/api/v1/authorities/DEMO/exams/${exam.id}/candidates`, csv, 200, 'text/csv');
  const codes = await admin('POST', `/api/v1/authorities/DEMO/exams/${exam.id}/codes`, {}, 200);
  const rows = codes.trim().split('\n').slice(1).map((l) => l.split(','));
  const byRoll = Object.fromEntries(rows.map((r) => [r[0], r[3]]));
  return { items: ids, codes: byRoll };
}

// examAPI calls the candidate API with a ticket.
export async function examAPI(base, method, path, ticket, body) {
  const r = await fetch(base + path, {
    method, headers: { Authorization: `Exam ${ticket}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: r.status, body: await r.json() };
}
