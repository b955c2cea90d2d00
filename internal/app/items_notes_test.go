package app

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestItemsImportPrintsNotes(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"VIDYA_DATA_DIR": dir}
	if _, _, err := runWith(t, env, "admin", "create-authority", "--code", "HKCL", "--name", "HKCL"); err != nil {
		t.Fatal(err)
	}
	src := "::cap:: Capital of India? {=Delhi =%50%Dilli}\n\n::plain:: Which is a prime? {=7 ~8}\n"
	// UTF-16 with its mark, so the file gets a note of its own.
	u16 := []byte{0xFF, 0xFE}
	for _, r := range src {
		u16 = append(u16, byte(r), 0)
	}
	path := filepath.Join(dir, "bank.gift")
	if err := os.WriteFile(path, u16, 0o644); err != nil {
		t.Fatal(err)
	}
	out, _, err := runWith(t, env, "items", "import", path, "--authority", "HKCL", "--dry-run")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, want := range []string{
		`note      the file: The file is UTF-16 (little-endian) text`,
		`note      line 1 (cap): answer "Dilli" at 50% is dropped: a short-answer item accepts only answers at 100%`,
		"Notes on 1 of 2 items: something in them was dropped or changed (see above).",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "(plain): ") {
		t.Errorf("a question read as written has a note:\n%s", out)
	}
}
