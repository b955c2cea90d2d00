package analysis

import (
	"bytes"
	"encoding/xml"
	"io"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/vidya-edu/vidya/internal/platform/errs"
)

func TestHistogramBins(t *testing.T) {
	marks := func(lo, hi int) []float64 {
		var out []float64
		for x := lo; x <= hi; x++ {
			out = append(out, float64(x))
		}
		return out
	}
	for _, c := range []struct {
		name     string
		scores   []float64
		width    float64
		start, w float64
		counts   []int
	}{
		// 0…10 in whole marks: width 1 gives 11 bins (≤ 25).
		{"whole marks over a small range get a bin each", marks(0, 10), 0, 0, 1, []int{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}},
		// 0…400: widths 1, 2, 5, 10 give 401, 201, 81, 41 bins; 20 gives 21.
		{"a 400-mark paper gets bins of 20", []float64{0, 19, 20, 399, 400}, 0, 0, 20, append(append([]int{2, 1}, make([]int, 17)...), 1, 1)},
		// Negative marking: −3…2 in whole marks.
		{"negative scores start below zero", []float64{-3, -1, 2}, 0, -3, 1, []int{1, 0, 1, 0, 0, 1}},
		// Fractional scores are not forced to whole-mark bins: range 0.2,
		// width 0.01 gives 21 bins from 0.1.
		{"fractional scores get fractional bins", []float64{0.1, 0.2, 0.3}, 0, 0.1, 0.01, append(append(append([]int{1}, make([]int, 9)...), 1), append(make([]int, 9), 1)...)},
		// 0.3/0.1 is 2.9999999999999996 in floating point; in millionths
		// it is exactly 3.
		{"0.3 falls in the bin starting at 0.3", []float64{0.3, 0.6}, 0.1, 0.3, 0.1, []int{1, 0, 0, 1}},
		{"a single score makes one bin", []float64{7}, 0, 7, 1, []int{1}},
		{"a given width starts at a multiple of it", []float64{13, 27, 14.5}, 10, 10, 10, []int{2, 1}},
	} {
		t.Run(c.name, func(t *testing.T) {
			h, err := NewHistogram(c.scores, c.width)
			if err != nil {
				t.Fatal(err)
			}
			if h.Start != c.start || h.Width != c.w || !slices.Equal(h.Counts, c.counts) || h.N() != len(c.scores) {
				t.Fatalf("got start %v width %v counts %v; want %v %v %v", h.Start, h.Width, h.Counts, c.start, c.w, c.counts)
			}
		})
	}
}

func TestHistogramRefusesBadInput(t *testing.T) {
	for _, c := range []struct {
		name   string
		scores []float64
		width  float64
	}{
		{"no scores", nil, 0},
		{"a score that is not a number", []float64{1, math.NaN()}, 0},
		{"an enormous score", []float64{1, 1e10}, 0},
		{"a negative width", []float64{1}, -1},
		{"a width below a millionth", []float64{1}, 1e-9},
		{"a width making too many bins", []float64{0, 100}, 0.001},
	} {
		t.Run(c.name+" is refused", func(t *testing.T) {
			if _, err := NewHistogram(c.scores, c.width); !errs.Is(err, errs.Invalid) {
				t.Fatalf("got %v, want an invalid error", err)
			}
		})
	}
}

// svgDoc is the part of the chart the tests read back.
type svgDoc struct {
	XMLName xml.Name `xml:"svg"`
	ViewBox string   `xml:"viewBox,attr"`
	Role    string   `xml:"role,attr"`
	Labels  string   `xml:"aria-labelledby,attr"`
	Title   struct {
		ID   string `xml:"id,attr"`
		Text string `xml:",chardata"`
	} `xml:"title"`
	Desc struct {
		ID   string `xml:"id,attr"`
		Text string `xml:",chardata"`
	} `xml:"desc"`
	Groups []struct {
		Rects []struct {
			Height string `xml:"height,attr"`
		} `xml:"rect"`
		Texts []string `xml:"text"`
	} `xml:"g"`
}

func TestHistogramSVG(t *testing.T) {
	h := Histogram{Start: 0, Width: 10, Counts: []int{3, 0, 12, 5}}
	var buf bytes.Buffer
	err := WriteHistogramSVG(&buf, h, SVGOptions{
		ID: "scores", Title: "अंक वितरण <Shift 1>", Desc: "Scores of 20 candidates & more.",
		XLabel: "अंक", YLabel: "उम्मीदवार",
	})
	if err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	var doc svgDoc
	if err := xml.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("not well-formed XML: %v\n%s", err, out)
	}
	if doc.Role != "img" || doc.ViewBox != "0 0 640 320" || doc.Labels != "scores-title scores-desc" || doc.Title.ID != "scores-title" || doc.Desc.ID != "scores-desc" {
		t.Errorf("accessibility attributes: %+v", doc)
	}
	if doc.Title.Text != "अंक वितरण <Shift 1>" {
		t.Errorf("title %q", doc.Title.Text)
	}
	if want := "Scores of 20 candidates & more. अंक / उम्मीदवार: [0, 10): 3; [10, 20): 0; [20, 30): 12; [30, 40): 5"; doc.Desc.Text != want {
		t.Errorf("desc %q,\nwant %q", doc.Desc.Text, want)
	}
	if !strings.Contains(out, "&lt;Shift 1&gt;") || !strings.Contains(out, "&amp; more") {
		t.Errorf("text is not escaped:\n%s", out)
	}
	for _, banned := range []string{"<script", "onload", "@import", "url(", "<style", "href"} {
		if strings.Contains(out, banned) {
			t.Errorf("the chart contains %q", banned)
		}
	}
	var bars, texts []string
	for _, g := range doc.Groups {
		for _, r := range g.Rects {
			bars = append(bars, r.Height)
		}
		texts = append(texts, g.Texts...)
	}
	// Empty bins draw no bar; the tallest (12) reaches the top of the scale
	// (5, 10, 15: 15 units = 256 high), so 12 is 12/15·256 = 204.8.
	if len(bars) != 3 || bars[1] != "204.8" {
		t.Errorf("bar heights %v", bars)
	}
	for _, want := range []string{"0", "10", "20", "30", "40", "अंक", "उम्मीदवार", "15"} {
		if !slices.Contains(texts, want) {
			t.Errorf("no label %q in %v", want, texts)
		}
	}
	if len(out) > 4096 {
		t.Errorf("a 4-bin chart takes %d bytes", len(out))
	}
}

func TestHistogramSVGRefusesWhatItCannotDraw(t *testing.T) {
	good := Histogram{Start: 0, Width: 1, Counts: []int{1}}
	for _, c := range []struct {
		name string
		h    Histogram
		o    SVGOptions
	}{
		{"an empty histogram", Histogram{Width: 1}, SVGOptions{}},
		{"a zero width", Histogram{Counts: []int{1}}, SVGOptions{}},
		{"a negative count", Histogram{Width: 1, Counts: []int{1, -1}}, SVGOptions{}},
		{"an id that would break out of the attribute", good, SVGOptions{ID: `x" onload="alert(1)`}},
		{"a chart too small for its axes", good, SVGOptions{Width: 30, Height: 30}},
	} {
		t.Run(c.name+" is refused", func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteHistogramSVG(&buf, c.h, c.o); !errs.Is(err, errs.Invalid) || buf.Len() != 0 {
				t.Fatalf("got %v and %d bytes, want an invalid error and nothing written", err, buf.Len())
			}
		})
	}
}

func TestHistogramSVGOfManyBinsThinsTheLabels(t *testing.T) {
	h, err := NewHistogram([]float64{0, 400}, 1)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteHistogramSVG(io.Writer(&buf), h, SVGOptions{XLabel: "x", YLabel: "y"}); err != nil {
		t.Fatal(err)
	}
	var doc svgDoc
	if err := xml.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	last := doc.Groups[len(doc.Groups)-1]
	if n := len(last.Texts); n > 14 {
		t.Errorf("%d axis labels for 401 bins", n)
	}
}

func FuzzHistogram(f *testing.F) {
	f.Add(0.3, 0.1, 0.7, 0.0)
	f.Add(-3.0, 2.0, 400.0, 20.0)
	f.Add(1e-6, 2e-6, 1e9, 0.0)
	f.Fuzz(func(t *testing.T, a, b, c, width float64) {
		scores := []float64{a, b, c}
		h, err := NewHistogram(scores, width)
		if err != nil {
			return
		}
		if h.N() != len(scores) || len(h.Counts) == 0 || len(h.Counts) > MaxBins {
			t.Fatalf("%v: %d counted in %d bins", scores, h.N(), len(h.Counts))
		}
		if h.Counts[0] == 0 || h.Counts[len(h.Counts)-1] == 0 {
			t.Fatalf("%v: an empty bin at an end: %v", scores, h.Counts)
		}
		for _, x := range scores {
			// Each score, to a millionth, lies in exactly one bin.
			m, in := toMicro(x), 0
			for i, cnt := range h.Counts {
				if cnt > 0 && toMicro(h.Edge(i)) <= m && m < toMicro(h.Edge(i+1)) {
					in++
				}
			}
			if in != 1 {
				t.Fatalf("%v lies in %d bins of %+v", x, in, h)
			}
		}
		if err := WriteHistogramSVG(io.Discard, h, SVGOptions{Title: "t", XLabel: "x", YLabel: "y"}); err != nil {
			t.Fatal(err)
		}
	})
}
