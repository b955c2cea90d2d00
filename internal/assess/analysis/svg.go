package analysis

import (
	"bufio"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// SVGOptions are the words and size of a histogram chart. Pass the words
// in the reader's language; they are escaped.
type SVGOptions struct {
	// ID prefixes the ids of the chart's title and description, so that
	// several charts can share a page; "histogram" when empty. Letters,
	// digits, '-' and '_' only.
	ID     string
	Title  string // the chart's accessible name, e.g. "Score distribution"
	Desc   string // a sentence before the numbers in the description
	XLabel string // e.g. "Score"
	YLabel string // e.g. "Candidates"
	// Width and Height are the viewBox size (the chart scales to its
	// container); 640 × 320 when zero.
	Width, Height int
}

// WriteHistogramSVG writes h as a bar chart in SVG: role="img" with a
// <title> and a <desc> listing every bin and its count, a viewBox so that
// it scales, no scripts, and the system's sans-serif font.
func WriteHistogramSVG(w io.Writer, h Histogram, o SVGOptions) error {
	const op = "analysis: histogram svg"
	if len(h.Counts) == 0 || !finite(h.Start) || !finite(h.Width) || h.Width <= 0 {
		return errs.E(errs.Invalid, op, "the histogram has no bins")
	}
	if len(h.Counts) > MaxBins {
		return errs.E(errs.Invalid, op, "%d bins is more than %d", len(h.Counts), MaxBins)
	}
	if o.ID == "" {
		o.ID = "histogram"
	}
	for _, r := range o.ID {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return errs.E(errs.Invalid, op, "chart id %q may hold only letters, digits, - and _", o.ID)
		}
	}
	if o.Width <= 0 {
		o.Width = 640
	}
	if o.Height <= 0 {
		o.Height = 320
	}
	top := 0
	for _, c := range h.Counts {
		if c < 0 {
			return errs.E(errs.Invalid, op, "a bin has a negative count %d", c)
		}
		top = max(top, c)
	}

	// Plot area inside margins for the axis labels.
	const left, right, above, below = 56.0, 12.0, 12.0, 52.0
	pw, ph := float64(o.Width)-left-right, float64(o.Height)-above-below
	if pw < 10 || ph < 10 {
		return errs.E(errs.Invalid, op, "a %d × %d chart is too small", o.Width, o.Height)
	}
	step := niceStep(top)
	ymax := max(step, (top+step-1)/step*step)
	y := func(c int) float64 { return above + ph - ph*float64(c)/float64(ymax) }
	bw := pw / float64(len(h.Counts))

	b := bufio.NewWriter(w)
	fmt.Fprintf(b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" role="img" aria-labelledby="%s-title %s-desc" font-family="sans-serif" font-size="12">`, o.Width, o.Height, o.ID, o.ID)
	fmt.Fprintf(b, `<title id="%s-title">%s</title>`, o.ID, escape(o.Title))
	fmt.Fprintf(b, `<desc id="%s-desc">%s</desc>`, o.ID, escape(describe(h, o)))

	// Horizontal grid lines and count labels.
	b.WriteString(`<g stroke="currentColor" stroke-opacity="0.15">`)
	for c := step; c <= ymax; c += step {
		fmt.Fprintf(b, `<line x1="%s" x2="%s" y1="%s" y2="%s"/>`, num(left), num(left+pw), num(y(c)), num(y(c)))
	}
	b.WriteString(`</g><g fill="currentColor" text-anchor="end">`)
	for c := 0; c <= ymax; c += step {
		fmt.Fprintf(b, `<text x="%s" y="%s">%d</text>`, num(left-6), num(y(c)+4), c)
	}
	b.WriteString(`</g>`)

	// Bars, with a gap of a tenth of a bar (at most 2 units).
	gap := min(2, bw/10)
	b.WriteString(`<g fill="#3f6fb0">`)
	for i, c := range h.Counts {
		if c == 0 {
			continue
		}
		fmt.Fprintf(b, `<rect x="%s" y="%s" width="%s" height="%s"/>`, num(left+float64(i)*bw+gap/2), num(y(c)), num(bw-gap), num(y(0)-y(c)))
	}
	b.WriteString(`</g>`)

	// Axes and edge labels: every edge when they fit, else every k-th.
	fmt.Fprintf(b, `<path d="M%s %sV%sH%s" fill="none" stroke="currentColor"/>`, num(left), num(above), num(y(0)), num(left+pw))
	every := (len(h.Counts) + 10) / 11
	b.WriteString(`<g fill="currentColor" text-anchor="middle">`)
	for i := 0; i <= len(h.Counts); i += every {
		fmt.Fprintf(b, `<text x="%s" y="%s">%s</text>`, num(left+float64(i)*bw), num(y(0)+16), formatMark(h.Edge(i)))
	}
	fmt.Fprintf(b, `<text x="%s" y="%s">%s</text>`, num(left+pw/2), num(float64(o.Height)-8), escape(o.XLabel))
	fmt.Fprintf(b, `<text transform="translate(14 %s) rotate(-90)">%s</text>`, num(above+ph/2), escape(o.YLabel))
	b.WriteString(`</g></svg>`)
	return b.Flush()
}

// describe lists every bin as "[lo, hi): count" after the caller's
// sentence and the axis labels.
func describe(h Histogram, o SVGOptions) string {
	var s strings.Builder
	if o.Desc != "" {
		s.WriteString(o.Desc)
		s.WriteString(" ")
	}
	s.WriteString(o.XLabel)
	s.WriteString(" / ")
	s.WriteString(o.YLabel)
	s.WriteString(":")
	for i, c := range h.Counts {
		if i > 0 {
			s.WriteString(";")
		}
		fmt.Fprintf(&s, " [%s, %s): %d", formatMark(h.Edge(i)), formatMark(h.Edge(i+1)), c)
	}
	return s.String()
}

// niceStep is a 1, 2, 5 × 10^k step giving at most 5 gridlines up to top.
func niceStep(top int) int {
	for p := 1; ; p *= 10 {
		for _, m := range [...]int{1, 2, 5} {
			if top <= 5*p*m {
				return p * m
			}
		}
	}
}

// num writes a coordinate to a hundredth of a unit, which is finer than
// any screen shows and keeps the chart small.
func num(x float64) string { return strconv.FormatFloat(math.Round(x*100)/100, 'f', -1, 64) }

func escape(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s)) // a strings.Builder does not fail
	return b.String()
}
