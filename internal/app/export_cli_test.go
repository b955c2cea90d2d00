package app

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// An export that fails part way leaves no file, and says which item and
// image were the trouble.
func TestItemsExportFailsCleanly(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"VIDYA_DATA_DIR": dir}
	if _, _, err := runWith(t, env, "admin", "create-authority", "--code", "HKCL", "--name", "HKCL"); err != nil {
		t.Fatal(err)
	}
	gone := "/media/HKCL/" + strings.Repeat("ef", 32) + ".png"
	bank := filepath.Join(dir, "bank.csv")
	os.WriteFile(bank, []byte("type,stem_en,correct\nessay,Plain,\nessay,Describe ![it]("+gone+"),\n"), 0o644)
	if out, _, err := runWith(t, env, "items", "import", bank, "--authority", "HKCL"); err != nil {
		t.Fatalf("import: %q %v", out, err)
	}
	zipPath := filepath.Join(dir, "out.zip")
	_, _, err := runWith(t, env, "items", "export", "--authority", "HKCL", "--out", zipPath)
	if err == nil || !strings.Contains(err.Error(), "image "+gone+": it is not in the file store") || !strings.Contains(err.Error(), "item ") {
		t.Fatalf("export with a missing image: %v", err)
	}
	for _, p := range []string{zipPath, zipPath + ".part"} {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("a failed export left %s", p)
		}
	}
	// CSV keeps image URLs as they are.
	csvPath := filepath.Join(dir, "out.csv")
	out, _, err := runWith(t, env, "items", "export", "--authority", "HKCL", "--format", "csv", "--out", csvPath)
	if err != nil || !strings.Contains(out, "wrote 2 items") {
		t.Fatalf("csv export: %q %v", out, err)
	}
	if b, _ := os.ReadFile(csvPath); !strings.Contains(string(b), gone) {
		t.Errorf("csv export lost the image URL: %s", b)
	}
}
