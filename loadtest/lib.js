// Helpers shared by the k6 scenarios: reading what `go run ./loadtest/setup`
// wrote, the run's settings from the environment, and an end-of-test
// table per request (rate over the scenario's own duration, p50, p99,
// p99.9, errors, dropped iterations).

// readCSV parses a CSV file written by the set-up (no quoted fields) into
// objects keyed by its header. Called from the init context only.
export function readCSV(path) {
  const lines = open(path).split('\n').filter((l) => l !== '');
  if (lines.length === 0) {
    throw new Error(`${path} is empty: run go run ./loadtest/setup first`);
  }
  const header = lines[0].split(',');
  return lines.slice(1).map((l, n) => {
    const f = l.split(',');
    if (f.length !== header.length) {
      throw new Error(`${path} line ${n + 2}: ${f.length} fields, want ${header.length}`);
    }
    const row = {};
    header.forEach((h, i) => { row[h] = f[i]; });
    return row;
  });
}

// seconds parses a k6-style duration ("90s", "2m", "1m30s", "500ms").
export function seconds(d) {
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;
  let total = 0;
  let matched = '';
  let m;
  while ((m = re.exec(d)) !== null) {
    total += parseFloat(m[1]) * { ms: 0.001, s: 1, m: 60, h: 3600 }[m[2]];
    matched += m[0];
  }
  if (matched !== d || matched === '') {
    throw new Error(`bad duration ${JSON.stringify(d)}: want e.g. 30s, 2m, 1m30s`);
  }
  return total;
}

// num reads a positive number from the environment.
export function num(name, def) {
  const v = __ENV[name];
  if (v === undefined || v === '') {
    return def;
  }
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) {
    throw new Error(`${name}=${v}: want a positive number`);
  }
  return n;
}

// dur formats seconds as a k6 duration.
export function dur(s) {
  return `${Math.round(s * 1000)}ms`;
}

function ms(v) {
  if (v === undefined) {
    return '-';
  }
  return v < 10 ? `${v.toFixed(2)} ms` : `${v.toFixed(1)} ms`;
}

// table renders, for each [label, request name, scenario, seconds it ran],
// the rate achieved over that time and the latency percentiles, then the
// dropped iterations per scenario and the thresholds.
export function table(data, rows, scenarios) {
  const m = data.metrics;
  const out = [];
  const pad = (s, n) => String(s).padEnd(n);
  const lpad = (s, n) => String(s).padStart(n);
  out.push(`${pad('request', 34)}${lpad('count', 9)}${lpad('per s', 9)}${lpad('p50', 10)}${lpad('p99', 10)}${lpad('p99.9', 10)}${lpad('max', 10)}${lpad('failed', 9)}`);
  for (const [label, name, secs] of rows) {
    const d = m[`http_req_duration{name:${name}}`];
    const f = m[`http_req_failed{name:${name}}`];
    if (!d || !d.values || !d.values.count) {
      continue;
    }
    const count = d.values.count;
    const failed = f && f.values ? Math.round(f.values.rate * count) : 0;
    out.push(`${pad(label, 34)}${lpad(count, 9)}${lpad((count / secs).toFixed(0), 9)}${lpad(ms(d.values.med), 10)}${lpad(ms(d.values['p(99)']), 10)}${lpad(ms(d.values['p(99.9)']), 10)}${lpad(ms(d.values.max), 10)}${lpad(failed, 9)}`);
  }
  out.push('');
  for (const s of scenarios) {
    const d = m[`dropped_iterations{scenario:${s}}`];
    const it = m[`iterations{scenario:${s}}`];
    out.push(`${pad(`scenario ${s}:`, 26)} ${it && it.values ? it.values.count : 0} iterations, ${d && d.values ? d.values.count : 0} dropped (not started: no free VU)`);
  }
  out.push('');
  for (const [k, v] of Object.entries(m)) {
    if (!v.thresholds) {
      continue;
    }
    for (const [expr, t] of Object.entries(v.thresholds)) {
      out.push(`${t.ok ? 'ok    ' : 'FAILED'} ${k}: ${expr}`);
    }
  }
  out.push(`\nvus max ${m.vus_max ? m.vus_max.values.max : '-'}; data received ${m.data_received ? (m.data_received.values.count / 1e6).toFixed(1) : '-'} MB, sent ${m.data_sent ? (m.data_sent.values.count / 1e6).toFixed(1) : '-'} MB`);
  return out.join('\n') + '\n';
}
