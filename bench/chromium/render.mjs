// render.mjs renders HTML documents as PDF with headless Chromium, the way
// most certificate systems make their PDFs, and times it.
//
//   node render.mjs DOCS.json [CONCURRENCY] [OUT_DIR]
//
// DOCS.json is a JSON array of HTML documents (strings). Chromium
// (VIDYA_CHROMIUM, default /usr/bin/chromium; Debian's, never a downloaded
// build) is launched once with CONCURRENCY pages (default 2), each in its own
// context, which take documents in turn: page.setContent(html, {waitUntil:
// 'load'}) and page.pdf() on an A4 landscape sheet with backgrounds. Three
// renders warm the pages up first and are not timed. Each PDF is written to
// OUT_DIR as 0001.pdf, 0002.pdf, … in the order of DOCS.json, or, without
// OUT_DIR, only its bytes are counted. The one line printed to stdout is
// {"count":n,"seconds":s,"bytes":b,"cpuSeconds":c}: documents rendered,
// wall-clock seconds from the first timed render to the last, the PDFs'
// total size, and the CPU time that this process and Chromium's used in
// that time (from /proc; null where there is none). Errors go to stderr
// with exit status 1.

import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { chromium } from 'playwright-core';

const WARMUP = 3;

const [file, concArg = '2', outDir = ''] = process.argv.slice(2);
if (!file) {
  console.error('usage: node render.mjs DOCS.json [CONCURRENCY] [OUT_DIR]');
  process.exit(2);
}
const concurrency = Number(concArg);
if (!Number.isInteger(concurrency) || concurrency < 1) {
  console.error(`render.mjs: concurrency must be a positive integer, not ${JSON.stringify(concArg)}`);
  process.exit(2);
}

try {
  const docs = parseStringArray(await readFile(file), file);
  if (docs.length === 0) throw new Error(`${file} holds no documents`);
  if (outDir) await mkdir(outDir, { recursive: true });
  const result = await renderAll(docs, concurrency, outDir);
  process.stdout.write(JSON.stringify(result) + '\n');
} catch (err) {
  console.error(`render.mjs: ${err?.stack ?? err}`);
  process.exit(1);
}

async function renderAll(docs, concurrency, outDir) {
  const browser = await chromium.launch({
    executablePath: process.env.VIDYA_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const pages = await Promise.all(Array.from({ length: concurrency }, () => browser.newPage()));
    await Promise.all(pages.map(async (page, w) => {
      for (let k = w; k < WARMUP; k += pages.length) await render(page, docs[k % docs.length]);
    }));

    const width = Math.max(4, String(docs.length).length);
    let next = 0;
    let bytes = 0;
    const cpuStart = treeCPU();
    const start = performance.now();
    await Promise.all(pages.map(async (page) => {
      for (let i = next++; i < docs.length; i = next++) {
        const pdf = await render(page, docs[i]);
        bytes += pdf.length;
        if (outDir) await writeFile(join(outDir, `${String(i + 1).padStart(width, '0')}.pdf`), pdf);
      }
    }));
    const seconds = (performance.now() - start) / 1000;
    const cpuSeconds = cpuStart === null ? null : treeCPU() - cpuStart;
    return { count: docs.length, seconds, bytes, cpuSeconds };
  } finally {
    await browser.close();
  }
}

async function render(page, html) {
  await page.setContent(html, { waitUntil: 'load' });
  return page.pdf({ width: '297mm', height: '210mm', printBackground: true });
}

// treeCPU returns the CPU seconds used so far by this process and its
// descendants (Chromium's browser, renderer, GPU and utility processes),
// live ones and those reaped, or null without Linux's /proc. On a machine
// shared with other work the difference over the timed renders is what
// they cost, where the wall-clock time also counts waiting for a core.
function treeCPU() {
  const HZ = 100; // USER_HZ, the unit of /proc/PID/stat times on Linux
  const procs = new Map(); // pid -> {ppid, ticks}
  try {
    for (const name of readdirSync('/proc')) {
      if (!/^[0-9]+$/.test(name)) continue;
      let stat;
      try {
        stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      } catch {
        continue; // it ended meanwhile
      }
      // After "pid (comm) ": state, ppid, … utime, stime, cutime, cstime
      // are the 12th to 15th fields.
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      procs.set(Number(name), { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]) });
    }
  } catch {
    return null;
  }
  if (!procs.has(process.pid)) return null;
  let ticks = 0;
  const todo = [process.pid];
  while (todo.length > 0) {
    const pid = todo.pop();
    ticks += procs.get(pid).ticks;
    for (const [child, p] of procs) if (p.ppid === pid) todo.push(child);
  }
  return ticks / HZ;
}

// parseStringArray reads a JSON array of strings one element at a time:
// documents with fonts and images inlined are megabytes each, and a whole
// batch can pass V8's limit on the length of one string, which JSON.parse
// of the whole file would need.
function parseStringArray(buf, name) {
  const fail = (what, at) => { throw new Error(`${name}: not a JSON array of strings: ${what} at byte ${at}`); };
  const skip = (i) => {
    while (i < buf.length && (buf[i] === 0x20 || buf[i] === 0x0a || buf[i] === 0x0d || buf[i] === 0x09)) i++;
    return i;
  };
  const docs = [];
  let i = skip(0);
  if (buf[i] !== 0x5b) fail('expected [', i);
  i = skip(i + 1);
  if (buf[i] === 0x5d) return docs;
  for (;;) {
    if (buf[i] !== 0x22) fail('expected a string', i);
    let end = i + 1;
    for (;;) {
      end = buf.indexOf(0x22, end);
      if (end < 0) fail('unterminated string', i);
      let backslashes = 0;
      while (buf[end - 1 - backslashes] === 0x5c) backslashes++;
      if (backslashes % 2 === 0) break;
      end++;
    }
    docs.push(JSON.parse(buf.toString('utf8', i, end + 1)));
    i = skip(end + 1);
    if (buf[i] === 0x2c) {
      i = skip(i + 1);
      continue;
    }
    if (buf[i] === 0x5d && skip(i + 1) === buf.length) return docs;
    fail('expected , or ] and the end', i);
  }
}
