package app

import (
	"archive/zip"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vidya-edu/vidya/internal/assess"
)

func TestItemsCommandLine(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"VIDYA_DATA_DIR": dir}
	if _, _, err := runWith(t, env, "admin", "create-authority", "--code", "HKCL", "--name", "HKCL"); err != nil {
		t.Fatal(err)
	}
	good := filepath.Join(dir, "bank.gift")
	bad := filepath.Join(dir, "mixed.gift")
	os.WriteFile(good, []byte(giftFile), 0o644)
	os.WriteFile(bad, []byte(giftFile+"\n::broken:: Which river? {=Ganga ~Yamuna\n"), 0o644)

	out, _, err := runWith(t, env, "items", "import", bad, "--authority", "HKCL", "--report", filepath.Join(dir, "report.json"))
	if err == nil || !strings.Contains(out, "rejected  line ") || !strings.Contains(out, "Nothing was imported") {
		t.Fatalf("a file with a bad item: %q %v", out, err)
	}
	var rep assess.ImportReport
	b, _ := os.ReadFile(filepath.Join(dir, "report.json"))
	if err := json.Unmarshal(b, &rep); err != nil || len(rep.Lines) != 4 || rep.Committed {
		t.Fatalf("report file: %s %v", b, err)
	}
	out, _, err = runWith(t, env, "items", "import", bad, "--authority", "HKCL", "--valid-only")
	if err != nil || !strings.Contains(out, "3 imported") {
		t.Fatalf("valid only: %q %v", out, err)
	}
	out, _, err = runWith(t, env, "items", "import", good, "--authority", "HKCL")
	if err != nil || !strings.Contains(out, "3 duplicates") {
		t.Fatalf("the same items again: %q %v", out, err)
	}
	for _, args := range [][]string{
		{"items", "import", filepath.Join(dir, "missing.gift"), "--authority", "HKCL"},
		{"items", "import", good, "--authority", "NOPE"},
		{"items", "import", good, "--authority", "HKCL", "--format", "docx"},
		{"items", "import", filepath.Join(dir, "report.json"), "--authority", "HKCL"},
	} {
		if _, _, err := runWith(t, env, args...); err == nil {
			t.Errorf("%v: accepted", args)
		}
	}
	zipPath := filepath.Join(dir, "out.zip")
	out, _, err = runWith(t, env, "items", "export", "--authority", "HKCL", "--out", zipPath)
	if err != nil || !strings.Contains(out, "wrote 3 items") {
		t.Fatalf("export: %q %v", out, err)
	}
	if _, err := zip.OpenReader(zipPath); err != nil {
		t.Fatalf("export is not a zip: %v", err)
	}
	if _, _, err := runWith(t, env, "items", "export", "--authority", "HKCL", "--status", "published", "--out", filepath.Join(dir, "none.zip")); err == nil {
		t.Error("exporting nothing succeeded")
	}
	if _, err := os.Stat(filepath.Join(dir, "none.zip.part")); err == nil {
		t.Error("a failed export left a partial file")
	}
}
