// Learners browsing and practising, open model (arrival rate): each
// iteration is one visit by a signed-in learner: the home page, the
// practice page, the mock-test list from the API, then a practice
// attempt (start, paper, SAVES answers, submit). Run
// `go run ./loadtest/setup` first; see README.md.
//
//   RATE=20 DURATION=60s k6 run loadtest/learning.js
import http from 'k6/http';
import { check, sleep } from 'k6';
import exec from 'k6/execution';
import { SharedArray } from 'k6/data';
import { readCSV, seconds, num, dur, table } from './lib.js';

const DATA = __ENV.DATA || '.';
const fixture = JSON.parse(open(`${DATA}/items.json`));
const BASE = __ENV.BASE_URL || fixture.base_url;
const MOCK = Number(__ENV.MOCK_TEST_ID || fixture.mock_test_id);
const learners = new SharedArray('learners', () => readCSV(`${DATA}/learners.csv`));

const RATE = num('RATE', 20); // visits a second
const DURATION = seconds(__ENV.DURATION || '60s');
const SAVES = Math.floor(num('SAVES', 5)); // answers saved per practice attempt
const THINK = Number(__ENV.THINK || '0.2'); // seconds between a learner's saves
// One learner per VU: a practice attempt belongs to its learner, and a
// second device starting it would take it over. So no more VUs than
// learners.
const MAX_VUS = Math.min(num('VUS', 500), learners.length);

export const options = {
  scenarios: {
    learning: {
      executor: 'constant-arrival-rate', rate: RATE, timeUnit: '1s', duration: dur(DURATION),
      preAllocatedVUs: Math.min(MAX_VUS, Math.max(10, Math.ceil(RATE * (SAVES * THINK + 0.5)))), maxVUs: MAX_VUS,
    },
  },
  thresholds: {
    'http_req_failed{scenario:learning}': ['rate<0.001'],
    'http_req_duration{name:home}': ['p(99)<200'],
    'http_req_duration{name:practice page}': ['p(99)<200'],
    'http_req_duration{name:mock-tests}': ['p(99)<200'],
    'http_req_duration{name:practise}': ['p(99)<200'],
    'http_req_duration{name:paper}': ['p(99)<200'],
    'http_req_duration{name:save}': ['p(99)<100'],
    'http_req_duration{name:submit}': ['p(99)<200'],
    'http_req_duration{name:signin}': [],
    'http_req_failed{name:signin}': [],
    'http_req_failed{name:home}': [],
    'http_req_failed{name:practice page}': [],
    'http_req_failed{name:mock-tests}': [],
    'http_req_failed{name:practise}': [],
    'http_req_failed{name:paper}': [],
    'http_req_failed{name:save}': [],
    'http_req_failed{name:submit}': [],
    'dropped_iterations{scenario:learning}': [`count<${Math.max(1, Math.floor((RATE * DURATION) / 100))}`],
    'iterations{scenario:learning}': [],
  },
  summaryTrendStats: ['count', 'med', 'p(90)', 'p(99)', 'p(99.9)', 'max'],
};

export function setup() {
  const r = http.get(`${BASE}/healthz`, { tags: { name: 'setup' } });
  if (r.status !== 200) {
    throw new Error(`${BASE}/healthz answered ${r.status}: is the server running? (BASE_URL)`);
  }
  console.log(`learning: ${RATE} visits/s for ${DURATION} s, at most ${MAX_VUS} learners at once, mock test ${MOCK}, ${SAVES} saves per attempt`);
}

// The VU's session cookie, made on its first visit: a learner signs in
// once and keeps browsing (password sign-in is argon2, limited by design).
let session = '';

function signIn() {
  const l = learners[(exec.vu.idInTest - 1) % learners.length];
  for (let tries = 0; tries < 20; tries++) {
    const r = http.post(`${BASE}/api/v1/auth/signin`, JSON.stringify({ email: l.email, password: l.password }),
      { headers: { 'Content-Type': 'application/json' }, tags: { name: 'signin' } });
    if (r.status === 200 && r.cookies.vidya_session) {
      session = r.cookies.vidya_session[0].value;
      return true;
    }
    if (r.status !== 503 && r.status !== 429) {
      check(r, { 'signed in': () => false });
      return false;
    }
    // Sign-in is behind admission control: come back when told to.
    sleep(Number(r.headers['Retry-After'] || '1'));
  }
  return false;
}

export default function () {
  if (!session && !signIn()) {
    return;
  }
  const as = (name, extra) => Object.assign({ cookies: { vidya_session: { value: session, replace: true } }, tags: { name } }, extra || {});
  // Pages redirect to sign-in when the session is not honoured: not a pass.
  const page = (r) => r.status === 200 && !r.url.includes('/signin');
  check(http.get(`${BASE}/`, as('home')), { home: page });
  check(http.get(`${BASE}/a/DEMO/practice`, as('practice page')), { 'practice page': (r) => page(r) && r.body.includes(`/a/DEMO/practice/${MOCK}`) });
  const list = http.get(`${BASE}/api/v1/authorities/DEMO/mock-tests`, as('mock-tests'));
  check(list, { 'mock tests': (r) => r.status === 200 && r.body.includes(`"id":${MOCK},`) });

  const st = http.post(`${BASE}/api/v1/authorities/DEMO/mock-tests/${MOCK}/practise`, null, as('practise'));
  if (!check(st, { practising: (r) => r.status === 201 })) {
    return;
  }
  const exam = { headers: { Authorization: `Exam ${st.json('ticket')}`, 'Content-Type': 'application/json' } };
  const paper = http.get(`${BASE}/api/v1/exam/paper`, Object.assign({ tags: { name: 'paper' } }, exam));
  if (!check(paper, { paper: (r) => r.status === 200 })) {
    return;
  }
  const slots = paper.json('slots');
  for (let k = 0; k < Math.min(SAVES, slots.length); k++) {
    sleep(THINK);
    const body = JSON.stringify({ answers: [{ item_id: slots[k].item_id, seq: Date.now() * 1000 + k, response: { choices: ['ABCD'[k % 4]] } }] });
    check(http.post(`${BASE}/api/v1/exam/answers`, body, Object.assign({ tags: { name: 'save' } }, exam)), { saved: (r) => r.status === 200 });
  }
  check(http.post(`${BASE}/api/v1/exam/submit`, null, Object.assign({ tags: { name: 'submit' } }, exam)), { submitted: (r) => r.status === 200 });
}

export function handleSummary(data) {
  const rows = [
    ['sign in (once per VU)', 'signin', DURATION],
    ['GET / (home)', 'home', DURATION],
    ['GET /a/DEMO/practice', 'practice page', DURATION],
    ['GET …/mock-tests', 'mock-tests', DURATION],
    ['POST …/practise', 'practise', DURATION],
    ['GET /api/v1/exam/paper', 'paper', DURATION],
    ['POST /api/v1/exam/answers', 'save', DURATION],
    ['POST /api/v1/exam/submit', 'submit', DURATION],
  ];
  const text = `\nVidya learners against ${BASE}: ${RATE} visits/s asked (per s: over the run)\n\n${table(data, rows, ['learning'])}`;
  const out = { stdout: text };
  if (__ENV.SUMMARY_JSON) {
    out[__ENV.SUMMARY_JSON] = JSON.stringify(data, null, 2);
  }
  return out;
}
