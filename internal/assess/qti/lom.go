package qti

import (
	"encoding/xml"
	"fmt"
	"slices"
	"strings"

	"github.com/vidya-edu/vidya/internal/assess"
)

// maxLOMText is the most text of one LOM element kept; longer values are
// refused by the tag checks anyway.
const maxLOMText = 1024

// lomReader collects an item resource's tags from its IEEE LOM metadata
// while the manifest streams past, by element names under <metadata>
// (path[0] is the element under metadata, normally lom):
//
//	lom/general/keyword/string                     a label (the first string of each keyword)
//	lom/educational/difficulty/value               LOMv1.0 difficulty → easy, medium, hard
//	lom/relation/kind/value = isbasedon
//	lom/relation/resource/description/string       the source
//	lom/classification/purpose/value = discipline
//	lom/classification/taxonPath/source/string = "Vidya topics"
//	lom/classification/taxonPath/taxon/id          the topic, ids joined by /
//	lom/classification/purpose/value = educational objective
//	lom/classification/taxonPath/source/string = "Bloom's taxonomy (revised)"
//	lom/classification/taxonPath/taxon/id          the Bloom level
//
// Everything else in the metadata (other tools' taxonomies included) is
// ignored, as before.
type lomReader struct {
	buf         strings.Builder
	keywordDone bool     // the current keyword has given its label
	kind, desc  string   // the current relation's
	purpose     string   // the current classification's
	paths       []lomTax // its taxon paths
	src         string   // the current taxon path's source
	ids         []string // its taxon ids
}

type lomTax struct {
	source string
	ids    []string
}

func (l *lomReader) start(path []string) {
	l.buf.Reset()
	switch strings.Join(path, "/") {
	case "lom/general/keyword":
		l.keywordDone = false
	case "lom/relation":
		l.kind, l.desc = "", ""
	case "lom/classification":
		l.purpose, l.paths = "", nil
	case "lom/classification/taxonPath":
		l.src, l.ids = "", nil
	}
}

func (l *lomReader) text(t xml.CharData) {
	if l.buf.Len()+len(t) <= maxLOMText+1 {
		l.buf.Write(t)
	}
}

func (l *lomReader) end(path []string, r *resource) {
	v := strings.TrimSpace(l.buf.String())
	l.buf.Reset()
	t := &r.tags
	fail := func(format string, args ...any) {
		if r.tagErr == "" {
			r.tagErr = fmt.Sprintf(format, args...)
		}
	}
	switch strings.Join(path, "/") {
	case "lom/general/keyword/string":
		if !l.keywordDone && v != "" {
			l.keywordDone = true
			if !slices.Contains(t.Labels, v) {
				t.Labels = append(t.Labels, v)
			}
		}
	case "lom/educational/difficulty/value":
		d, ok := fromDifficulty[strings.ToLower(v)]
		if !ok && v != "" {
			fail("difficulty %q is not one of LOM's (very easy, easy, medium, difficult, very difficult)", trunc(v, 40))
		}
		t.Difficulty = d
	case "lom/relation/kind/value":
		l.kind = v
	case "lom/relation/resource/description/string":
		if l.desc == "" {
			l.desc = v
		}
	case "lom/relation":
		if l.kind == "isbasedon" && l.desc != "" && t.Source == "" {
			t.Source = l.desc
		}
	case "lom/classification/purpose/value":
		l.purpose = v
	case "lom/classification/taxonPath/source/string":
		l.src = v
	case "lom/classification/taxonPath/taxon/id":
		l.ids = append(l.ids, v)
	case "lom/classification/taxonPath":
		l.paths = append(l.paths, lomTax{l.src, l.ids})
	case "lom/classification":
		for _, p := range l.paths {
			switch {
			case l.purpose == "discipline" && p.source == topicSource:
				topic := strings.Join(p.ids, "/")
				if msg := assess.CheckTopicPath(topic); msg != "" {
					fail("topic %q %s", trunc(topic, 80), msg)
				}
				t.Topic = topic
			case l.purpose == "educational objective" && p.source == bloomSource:
				if len(p.ids) != 1 {
					fail("a Bloom level is one taxon, not %d", len(p.ids))
					continue
				}
				b := strings.ToLower(p.ids[0])
				if b == "analyze" {
					b = "analyse"
				}
				if !slices.Contains(assess.BloomLevels, b) {
					fail("Bloom level %q is not one of %s", trunc(p.ids[0], 40), strings.Join(assess.BloomLevels, ", "))
				}
				t.Bloom = b
			}
		}
	}
}

func tagsEmpty(t assess.Tags) bool {
	return t.Topic == "" && t.Difficulty == "" && t.Bloom == "" && t.Source == "" && len(t.Labels) == 0
}
