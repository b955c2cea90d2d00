package formats_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/vidya-edu/vidya/internal/assess"
	"github.com/vidya-edu/vidya/internal/assess/formats"
	"github.com/vidya-edu/vidya/internal/platform/errs"
)

func TestGuess(t *testing.T) {
	for _, tc := range []struct {
		name, head, want string
	}{
		{"bank.zip", "PK\x03\x04...", formats.QTI},
		{"anything", "PK\x03\x04...", formats.QTI},
		{"q1.xml", `<?xml version="1.0"?><assessmentItem xmlns=`, formats.QTI},
		{"q1", `<qti-assessment-item identifier="q1"`, formats.QTI},
		{"Bank.GIFT", "::q::", formats.GIFT},
		{"bank.csv", "type,stem_en", formats.CSV},
		{"bank.txt", "What is 2+2?\nA) 3", ""},
		{"", "", ""},
	} {
		if got := formats.Guess(tc.name, []byte(tc.head)); got != tc.want {
			t.Errorf("Guess(%q, %q) = %q, want %q", tc.name, tc.head, got, tc.want)
		}
	}
}

func TestOpenAndWriteRefuseWhatTheyDoNotKnow(t *testing.T) {
	r := bytes.NewReader([]byte("x"))
	if _, err := formats.Open("docx", r, 1, formats.Options{}); !errs.Is(err, errs.Invalid) || errs.As(err).Fields["format"] == "" {
		t.Errorf("unknown import format: %v", err)
	}
	if _, err := formats.Open(formats.GIFT, r, 1, formats.Options{Lang: "fr"}); !errs.Is(err, errs.Invalid) || errs.As(err).Fields["lang"] == "" {
		t.Errorf("unknown language: %v", err)
	}
	if err := formats.Write(&bytes.Buffer{}, "pdf", nil, ""); !errs.Is(err, errs.Invalid) {
		t.Errorf("unknown export format: %v", err)
	}
}

// A Source can be run twice (a preview, then the import) and reads from the
// start each time, whatever the file's offset.
func TestSourceReadsFromTheStartEachTime(t *testing.T) {
	gift := "::a:: One? {T}\n\n::b:: Two? {F}\n"
	r := strings.NewReader(gift)
	src, err := formats.Open(formats.GIFT, r, int64(len(gift)), formats.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for run := range 2 {
		n := 0
		if err := src(func(p assess.Parsed) error {
			if p.Err != nil {
				t.Fatal(p.Err)
			}
			n++
			return nil
		}); err != nil || n != 2 {
			t.Fatalf("run %d: %d items, %v", run, n, err)
		}
	}
}
