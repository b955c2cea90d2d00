// Exam day, open model (arrival rate): the start surge, autosave and
// /healthz as the baseline, one after the other. Run
// `go run ./loadtest/setup` first; see README.md.
//
//   k6 run loadtest/examday.js
//   RATE=5000 DURATION=60s SCENARIOS=autosave,healthz k6 run loadtest/examday.js
import http from 'k6/http';
import { check } from 'k6';
import exec from 'k6/execution';
import { SharedArray } from 'k6/data';
import { readCSV, seconds, num, dur, table } from './lib.js';

// DATA: the directory the set-up wrote to (default: this one).
const DATA = __ENV.DATA || '.';
const fixture = JSON.parse(open(`${DATA}/items.json`));
const BASE = __ENV.BASE_URL || fixture.base_url;
const ITEMS = fixture.items;

// Candidates not yet started (the surge signs them in and starts them),
// and candidates the set-up started, with their tickets (autosave).
const fresh = new SharedArray('candidates', () => readCSV(`${DATA}/candidates.csv`));
const started = new SharedArray('started', () => readCSV(`${DATA}/started.csv`));

const RATE = num('RATE', 2000); // saves a second
const DURATION = seconds(__ENV.DURATION || '60s'); // autosave and /healthz, each
const SAVE_EVERY = num('SAVE_EVERY', 30); // seconds between one candidate's saves
const HEALTHZ_RATE = num('HEALTHZ_RATE', RATE);
const START_RATE = num('START_RATE', 300); // peak sign-in + start a second
const RAMP = seconds(__ENV.RAMP || '20s');
const HOLD = seconds(__ENV.HOLD || '30s');
const OFFSET = Math.floor(num('OFFSET', 1) - 1); // first candidate (1-based) the surge uses
const MAX_VUS = num('VUS', 1000);
const GAP = 5; // seconds between scenarios, for the server to settle
const SELECTED = (__ENV.SCENARIOS || 'surge,autosave,healthz').split(',').map((s) => s.trim());

// Each started candidate saves about every SAVE_EVERY s: RATE × SAVE_EVERY
// candidates take turns (fewer if the set-up started fewer; they then
// save more often, which costs the server the same per save).
const ROTATION = Math.min(started.length, Math.round(RATE * SAVE_EVERY));

const all = {
  surge: {
    secs: RAMP + HOLD,
    def: {
      executor: 'ramping-arrival-rate', exec: 'surge', startRate: 0, timeUnit: '1s',
      preAllocatedVUs: Math.min(MAX_VUS, Math.max(20, Math.ceil(START_RATE / 10))), maxVUs: MAX_VUS,
      stages: [{ target: START_RATE, duration: dur(RAMP) }, { target: START_RATE, duration: dur(HOLD) }],
    },
  },
  autosave: {
    secs: DURATION,
    def: {
      executor: 'constant-arrival-rate', exec: 'autosave', rate: RATE, timeUnit: '1s', duration: dur(DURATION),
      preAllocatedVUs: Math.min(MAX_VUS, Math.max(20, Math.ceil(RATE / 20))), maxVUs: MAX_VUS,
    },
  },
  healthz: {
    secs: DURATION,
    def: {
      executor: 'constant-arrival-rate', exec: 'healthz', rate: HEALTHZ_RATE, timeUnit: '1s', duration: dur(DURATION),
      preAllocatedVUs: Math.min(MAX_VUS, Math.max(20, Math.ceil(HEALTHZ_RATE / 20))), maxVUs: MAX_VUS,
    },
  },
};

const scenarios = {};
const thresholds = {};
let at = 0;
for (const name of SELECTED) {
  if (!all[name]) {
    throw new Error(`SCENARIOS: unknown scenario ${JSON.stringify(name)}; have surge, autosave, healthz`);
  }
  scenarios[name] = Object.assign({ startTime: dur(at) }, all[name].def);
  at += all[name].secs + GAP;
  // Fewer than 1 % of the planned iterations may be dropped (no VU free
  // to start them): above that the rate asked for was not delivered.
  const planned = name === 'surge' ? START_RATE * (RAMP / 2 + HOLD) : all[name].def.rate * all[name].secs;
  thresholds[`dropped_iterations{scenario:${name}}`] = [`count<${Math.max(1, Math.floor(planned / 100))}`];
  thresholds[`iterations{scenario:${name}}`] = [];
}
if (scenarios.surge) {
  thresholds['http_req_failed{scenario:surge}'] = ['rate<0.001'];
  thresholds['http_req_duration{name:signin}'] = ['p(99)<200'];
  thresholds['http_req_duration{name:start}'] = ['p(99)<200'];
  thresholds['http_req_failed{name:signin}'] = [];
  thresholds['http_req_failed{name:start}'] = [];
}
if (scenarios.autosave) {
  thresholds['http_req_duration{name:save}'] = ['p(99)<50'];
  thresholds['http_req_failed{name:save}'] = ['rate<0.001'];
}
if (scenarios.healthz) {
  thresholds['http_req_duration{name:healthz}'] = [];
  thresholds['http_req_failed{name:healthz}'] = ['rate<0.001'];
}

export const options = {
  scenarios,
  thresholds,
  summaryTrendStats: ['count', 'med', 'p(90)', 'p(99)', 'p(99.9)', 'max'],
  // Tickets, not cookies: nothing to keep between iterations.
  discardResponseBodies: false,
};

export function setup() {
  const r = http.get(`${BASE}/healthz`, { tags: { name: 'setup' } });
  if (r.status !== 200) {
    throw new Error(`${BASE}/healthz answered ${r.status}: is the server running? (BASE_URL)`);
  }
  if (scenarios.surge) {
    const need = Math.ceil(START_RATE * (RAMP / 2 + HOLD));
    console.log(`surge: up to ${START_RATE} sign-ins + starts/s, about ${need} candidates from #${OFFSET + 1}; candidates.csv has ${fresh.length}`);
    if (OFFSET + need > fresh.length) {
      console.warn(`surge: not enough fresh candidates; iterations past the end are skipped (set up with more -candidates, or lower START_RATE)`);
    }
  }
  if (scenarios.autosave) {
    console.log(`autosave: ${RATE} saves/s for ${DURATION} s over ${ROTATION} started candidates: each saves every ${(ROTATION / RATE).toFixed(1)} s`);
  }
}

const json = { headers: { 'Content-Type': 'application/json' } };

// surge: a candidate signs in with roll number and access code, then
// starts (the server sets the deadline). Each iteration is a new candidate.
export function surge() {
  const i = OFFSET + exec.scenario.iterationInTest;
  if (i >= fresh.length) {
    return;
  }
  const c = fresh[i];
  const s = http.post(`${BASE}/api/v1/exam/signin`, JSON.stringify({ roll_no: c.roll_no, access_code: c.access_code }),
    Object.assign({ tags: { name: 'signin' } }, json));
  if (!check(s, { 'signed in': (r) => r.status === 200 })) {
    return;
  }
  const st = http.post(`${BASE}/api/v1/exam/start`, null,
    { headers: { Authorization: `Exam ${s.json('ticket')}` }, tags: { name: 'start' } });
  check(st, { started: (r) => r.status === 200 });
}

// autosave: the next candidate in the rotation (give or take a second's
// worth, the jitter) saves one answer, to the question after the one it
// answered last time, with a sequence number above any it sent before.
export function autosave() {
  const n = exec.scenario.iterationInTest;
  const jitter = Math.floor(Math.random() * Math.min(RATE, ROTATION));
  const c = started[(n + jitter) % ROTATION];
  const item = ITEMS[Math.floor(n / ROTATION) % ITEMS.length];
  // Time-based, so it rises across iterations, VUs and runs.
  const seq = Date.now() * 1000 + (n % 1000);
  const body = `{"answers":[{"item_id":${item},"seq":${seq},"response":{"choices":["${'ABCD'[n % 4]}"]}}]}`;
  const r = http.post(`${BASE}/api/v1/exam/answers`, body,
    { headers: { 'Content-Type': 'application/json', Authorization: `Exam ${c.ticket}` }, tags: { name: 'save' } });
  check(r, { saved: (x) => x.status === 200 });
}

export function healthz() {
  const r = http.get(`${BASE}/healthz`, { tags: { name: 'healthz' }, responseType: 'none' });
  check(r, { healthy: (x) => x.status === 200 });
}

export function handleSummary(data) {
  const rows = [];
  if (scenarios.surge) {
    rows.push(['sign in (roll number + code)', 'signin', all.surge.secs], ['start', 'start', all.surge.secs]);
  }
  if (scenarios.autosave) {
    rows.push([`save (asked ${RATE}/s)`, 'save', DURATION]);
  }
  if (scenarios.healthz) {
    rows.push([`GET /healthz (asked ${HEALTHZ_RATE}/s)`, 'healthz', DURATION]);
  }
  const text = `\nVidya exam day against ${BASE} (per s: over each scenario's duration)\n\n${table(data, rows, Object.keys(scenarios))}`;
  const out = { stdout: text };
  if (__ENV.SUMMARY_JSON) {
    out[__ENV.SUMMARY_JSON] = JSON.stringify(data, null, 2);
  }
  return out;
}
