package chromium

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ChromiumPath is the browser Measure drives: Debian's chromium package.
// Playwright's own browser builds cannot be downloaded here.
var ChromiumPath = "/usr/bin/chromium"

// npmTimeout bounds the one-off install of playwright-core.
const npmTimeout = 5 * time.Minute

// Result is what one Measure run did.
type Result struct {
	Count   int           // documents rendered (after the warm-up)
	Elapsed time.Duration // wall-clock time from the first timed render to the last
	Bytes   int64         // total size of the PDFs
	// CPU is the processor time node and Chromium used in Elapsed, or 0
	// where it cannot be read (it comes from Linux's /proc). On a machine
	// shared with other work it is what the renders cost, where Elapsed
	// also counts waiting for a core.
	CPU time.Duration
}

// PerSecond returns the documents rendered per second of Elapsed.
func (r Result) PerSecond() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Count) / r.Elapsed.Seconds()
}

// Measure renders each of docs (HTML pages) to an A4 landscape PDF with one
// headless Chromium and concurrency pages at a time (2 if concurrency < 1),
// after three untimed warm-up renders, and returns the time the batch took.
// With outDir set the PDFs are written there as 0001.pdf, 0002.pdf, … in
// the order of docs; otherwise only their sizes are counted. It runs
// render.mjs with node, installing playwright-core first (npm ci) if this
// directory has no node_modules. The docs go to render.mjs through a
// temporary file, which holds them all: about 2.2 MB a certificate.
func Measure(ctx context.Context, docs []string, concurrency int, outDir string) (Result, error) {
	const op = "chromium: measure"
	if len(docs) == 0 {
		return Result{}, fmt.Errorf("%s: no documents", op)
	}
	if concurrency < 1 {
		concurrency = 2
	}
	node, err := exec.LookPath("node")
	if err != nil {
		return Result{}, fmt.Errorf("%s: node is not installed (apt-get install -y nodejs): %w", op, err)
	}
	if _, err := os.Stat(ChromiumPath); err != nil {
		return Result{}, fmt.Errorf("%s: no Chromium at %s (apt-get install -y chromium): %w", op, ChromiumPath, err)
	}
	dir, err := scriptDir()
	if err != nil {
		return Result{}, fmt.Errorf("%s: %w", op, err)
	}
	if err := ensurePlaywright(ctx, dir); err != nil {
		return Result{}, fmt.Errorf("%s: %w", op, err)
	}
	file, err := writeDocs(docs)
	if err != nil {
		return Result{}, fmt.Errorf("%s: %w", op, err)
	}
	defer os.Remove(file)

	args := []string{filepath.Join(dir, "render.mjs"), file, strconv.Itoa(concurrency)}
	if outDir != "" {
		args = append(args, outDir)
	}
	cmd := exec.CommandContext(ctx, node, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "VIDYA_CHROMIUM="+ChromiumPath)
	// On cancellation, SIGINT lets Playwright close Chromium rather than
	// leave it running without its driver; SIGKILL follows if it hangs.
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 10 * time.Second
	var stdout bytes.Buffer
	stderr := &tailBuffer{max: 8 << 10}
	cmd.Stdout, cmd.Stderr = &stdout, stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return Result{}, fmt.Errorf("%s: %w", op, ctx.Err())
		}
		return Result{}, fmt.Errorf("%s: render.mjs: %w\n%s", op, err, strings.TrimSpace(stderr.String()))
	}

	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	var out struct {
		Count      int      `json:"count"`
		Seconds    float64  `json:"seconds"`
		Bytes      int64    `json:"bytes"`
		CPUSeconds *float64 `json:"cpuSeconds"`
	}
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &out); err != nil {
		return Result{}, fmt.Errorf("%s: render.mjs printed %q: %w", op, stdout.String(), err)
	}
	if out.Count != len(docs) {
		return Result{}, fmt.Errorf("%s: render.mjs rendered %d of %d documents", op, out.Count, len(docs))
	}
	res := Result{Count: out.Count, Elapsed: time.Duration(out.Seconds * float64(time.Second)), Bytes: out.Bytes}
	if out.CPUSeconds != nil {
		res.CPU = time.Duration(math.Round(*out.CPUSeconds*1e3)) * time.Millisecond
	}
	return res, nil
}

// scriptDir returns the directory of render.mjs and package.json in the
// checkout.
func scriptDir() (string, error) {
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(root, "bench", "chromium")
	if _, err := os.Stat(filepath.Join(dir, "render.mjs")); err != nil {
		return "", fmt.Errorf("find render.mjs: %w", err)
	}
	return dir, nil
}

// installMu serialises installs of playwright-core, so that two Measure
// calls do not run npm ci in the same directory at once.
var installMu sync.Mutex

// ensurePlaywright installs playwright-core into dir/node_modules from
// dir's package-lock.json if it is not there.
func ensurePlaywright(ctx context.Context, dir string) error {
	installMu.Lock()
	defer installMu.Unlock()
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "playwright-core", "package.json")); err == nil {
		return nil
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		return fmt.Errorf("playwright-core is not installed in %s and npm is missing to install it (apt-get install -y npm): %w", dir, err)
	}
	ctx, cancel := context.WithTimeout(ctx, npmTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund", "--loglevel=error")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("install playwright-core (npm ci in %s): %w\n%s", dir, err, strings.TrimSpace(string(out)))
	}
	return nil
}

// writeDocs writes docs to a temporary file as a JSON array, one document
// a line, and returns its name.
func writeDocs(docs []string) (name string, err error) {
	f, err := os.CreateTemp("", "vidya-chromium-*.json")
	if err != nil {
		return "", fmt.Errorf("write documents: %w", err)
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("write documents: %w", cerr)
		}
		if err != nil {
			os.Remove(f.Name())
		}
	}()
	w := bufio.NewWriterSize(f, 1<<20)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	w.WriteString("[\n")
	for i, d := range docs {
		if i > 0 {
			w.WriteString(",")
		}
		if err := enc.Encode(d); err != nil {
			return "", fmt.Errorf("write documents: %w", err)
		}
	}
	w.WriteString("]\n")
	if err := w.Flush(); err != nil {
		return "", fmt.Errorf("write documents: %w", err)
	}
	return f.Name(), nil
}

// tailBuffer keeps the last max bytes written to it: enough of node's
// stderr to say what went wrong.
type tailBuffer struct {
	max int
	buf []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string { return string(t.buf) }
