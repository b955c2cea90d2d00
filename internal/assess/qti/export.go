package qti

import (
	"archive/zip"
	"bytes"
	"fmt"
	"html"
	"io"
	"net/url"
	"os"
	"path"
	"strconv"
	"strings"

	"github.com/vidya-edu/vidya/internal/assess"
	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// WriteOptions tune writing a package.
type WriteOptions struct {
	// Media opens an image an item shows, by its reference in the item's
	// Markdown (a bank URL such as /media/HKCL/<sha256>.png), so the package
	// can carry it. It is called once per distinct reference that is not an
	// http or https URL; an error fails the export, naming the item and the
	// image. With no Media, every reference is written as it is.
	Media func(ref string) (io.ReadCloser, error)
}

// WritePackage writes a QTI content package of version v with items (see
// PackageWriter). Every item is validated before anything is written.
func WritePackage(w io.Writer, items []*assess.Item, v Version) error {
	for i, it := range items {
		if err := checkWrite(it, v); err != nil {
			return fmt.Errorf("%s: item %d of %d: %w", opWrite, i+1, len(items), err)
		}
	}
	pw := NewPackageWriter(w, v, WriteOptions{})
	for _, it := range items {
		if err := pw.Write(it); err != nil {
			pw.Abort()
			return err
		}
	}
	return pw.Close()
}

// PackageWriter writes a QTI content package of version v one item at a
// time, straight onto its writer, so memory does not grow with the number
// of items: per item, items/<identifier>.xml in its primary language
// (English when it has it) plus items/<identifier>.<lang>.xml for each
// other language, listed as further files of the item's manifest resource;
// the images it shows under media/ (each once, however many items show
// it), referred to as ../media/<name> and listed as files of the resource;
// its tags as the resource's LOM metadata. imsmanifest.xml is written last,
// by Close (a zip's entries may come in any order); until then its
// resource list is kept in a temporary file once it outgrows memory.
//
// An item's identifier is vidya-item-<ID> when its ID is above every ID
// written before (as the bank exports them, oldest first), else
// vidya-item-n<position>, so identifiers never repeat.
type PackageWriter struct {
	zw     *zip.Writer
	v      Version
	opts   WriteOptions
	res    spill             // the manifest's <resource> elements so far
	media  map[string]string // image reference → path in the package
	names  map[string]bool   // media paths taken
	n      int               // items written
	lastID int64
	buf    bytes.Buffer
	err    error // the first error; the package is unusable after it
}

// NewPackageWriter returns a PackageWriter onto w. Write the items, then
// Close (or Abort on failure).
func NewPackageWriter(w io.Writer, v Version, opts WriteOptions) *PackageWriter {
	return &PackageWriter{zw: zip.NewWriter(w), v: v, opts: opts, media: map[string]string{}, names: map[string]bool{}}
}

// Write adds one item. An invalid item, or an image Media cannot open, is
// an error naming the item; the package cannot be finished after an error.
func (pw *PackageWriter) Write(it *assess.Item) error {
	if pw.err != nil {
		return pw.err
	}
	pw.n++
	if err := checkWrite(it, pw.v); err != nil {
		pw.err = err
		return err
	}
	id := ident(it)
	if it.ID <= pw.lastID {
		id = "vidya-item-n" + strconv.Itoa(pw.n)
	} else {
		pw.lastID = it.ID
	}
	var files, images []string
	for j, lang := range languages(it) {
		name := "items/" + id + ".xml"
		if j > 0 {
			name = "items/" + id + "." + lang + ".xml"
		}
		files = append(files, name)
		pw.buf.Reset()
		if err := writeItem(&pw.buf, it, id, lang, pw.v); err != nil {
			pw.err = err
			return err
		}
		doc, err := pw.images(it, pw.buf.String(), &images)
		if err != nil {
			pw.err = err
			return err
		}
		fw, err := pw.zw.Create(name)
		if err == nil {
			_, err = io.WriteString(fw, doc)
		}
		if err != nil {
			pw.err = errs.Wrap(opWrite, err)
			return pw.err
		}
	}
	var b strings.Builder
	typ := "imsqti_item_xmlv2p1"
	if pw.v == V30 {
		typ = "imsqti_item_xmlv3p0"
	}
	b.WriteString(`    <resource identifier="` + id + `" type="` + typ + `" href="` + files[0] + `">`)
	writeLOM(&b, it.Tags)
	for _, f := range append(files, images...) {
		b.WriteString(`<file href="`)
		attr(&b, f)
		b.WriteString(`"/>`)
	}
	b.WriteString("</resource>\n")
	if _, err := io.WriteString(&pw.res, b.String()); err != nil {
		pw.err = errs.Wrap(opWrite, err)
		return pw.err
	}
	return nil
}

// imgSrc starts every image in a document writeItem made: text and other
// attributes have their < escaped, so this finds only <img> elements.
const imgSrc = `<img src="`

// images puts the images doc shows into the package (each once) and points
// doc at them, adding their package paths to files (once per item).
func (pw *PackageWriter) images(it *assess.Item, doc string, files *[]string) (string, error) {
	if pw.opts.Media == nil || !strings.Contains(doc, imgSrc) {
		return doc, nil
	}
	var b strings.Builder
	for {
		i := strings.Index(doc, imgSrc)
		if i < 0 {
			break
		}
		i += len(imgSrc)
		j := strings.IndexByte(doc[i:], '"')
		if j < 0 {
			break
		}
		b.WriteString(doc[:i])
		ref := html.UnescapeString(doc[i : i+j])
		doc = doc[i+j:]
		if u, err := url.Parse(ref); err == nil && (u.Scheme == "http" || u.Scheme == "https") {
			attr(&b, ref)
			continue
		}
		name, err := pw.image(ref)
		if err != nil {
			return "", imageErr(it, ref, err)
		}
		if !contains(*files, name) {
			*files = append(*files, name)
		}
		attr(&b, "../"+name) // items are in items/
	}
	b.WriteString(doc)
	return b.String(), nil
}

func contains(s []string, x string) bool {
	for _, y := range s {
		if y == x {
			return true
		}
	}
	return false
}

// imageErr names the item and the image an image error is about. Only
// the message of a kinded error is repeated; an internal cause stays in Err,
// for the log.
func imageErr(it *assess.Item, ref string, err error) error {
	if e := errs.As(err); e != nil && e.Kind != errs.Internal && e.Message != "" {
		return errs.E(e.Kind, opWrite, "item %d: image %s: %s", it.ID, ref, e.Message)
	}
	return &errs.Error{Kind: errs.Internal, Op: opWrite, Message: fmt.Sprintf("item %d: image %s cannot be read", it.ID, ref), Err: err}
}

// image copies the image ref names into the package, once, and returns its
// path there.
func (pw *PackageWriter) image(ref string) (string, error) {
	if name, ok := pw.media[ref]; ok {
		return name, nil
	}
	rc, err := pw.opts.Media(ref)
	if err != nil {
		return "", err
	}
	defer rc.Close()
	base := safeName(path.Base(strings.SplitN(ref, "?", 2)[0]))
	name := "media/" + base
	for n := 2; pw.names[name]; n++ {
		name = "media/" + strconv.Itoa(n) + "-" + base
	}
	// Images are compressed already; storing them saves time for nothing lost.
	fw, err := pw.zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store})
	if err != nil {
		return "", errs.Wrap(opWrite, err)
	}
	lr := &io.LimitedReader{R: rc, N: MaxMediaSize + 1}
	n, err := io.Copy(fw, lr)
	switch {
	case err != nil:
		return "", errs.E(errs.Unavailable, opWrite, "it cannot be read: %v", err)
	case n > MaxMediaSize:
		return "", errs.E(errs.TooLarge, opWrite, "it is more than %s, which no package reader takes", fmtSize(MaxMediaSize))
	}
	pw.media[ref], pw.names[name] = name, true
	return name, nil
}

// safeName keeps letters, digits, '.', '-' and '_' of a file name.
func safeName(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_') {
			b[i] = '_'
		}
	}
	s = strings.TrimLeft(string(b), ".")
	if s == "" {
		s = "image"
	}
	return s
}

// Close writes imsmanifest.xml and finishes the zip. It does not close the
// underlying writer.
func (pw *PackageWriter) Close() error {
	defer pw.res.Close()
	if pw.err != nil {
		return pw.err
	}
	ns, loc, schema, sv := "http://www.imsglobal.org/xsd/imscp_v1p1",
		"http://www.imsglobal.org/xsd/imscp_v1p1 http://www.imsglobal.org/xsd/qti/qtiv2p1/qtiv2p1_imscpv1p2_v1p0.xsd",
		"QTIv2.1 Package", "1.0.0"
	if pw.v == V30 {
		ns, loc, schema, sv = "http://www.imsglobal.org/xsd/qti/qtiv3p0/imscp_v1p1",
			"http://www.imsglobal.org/xsd/qti/qtiv3p0/imscp_v1p1 https://purl.imsglobal.org/spec/qti/v3p0/schema/xsd/imsqtiv3p0_imscpv1p2_v1p0.xsd",
			"QTI Package", "3.0.0"
	}
	mw, err := pw.zw.Create("imsmanifest.xml")
	if err == nil {
		_, err = io.WriteString(mw, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+
			`<manifest xmlns="`+ns+`" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="`+loc+`" identifier="vidya-export">`+"\n"+
			"  <metadata><schema>"+schema+"</schema><schemaversion>"+sv+"</schemaversion></metadata>\n"+
			"  <organizations/>\n  <resources>\n")
	}
	if err == nil {
		_, err = pw.res.WriteTo(mw)
	}
	if err == nil {
		_, err = io.WriteString(mw, "  </resources>\n</manifest>\n")
	}
	if err == nil {
		err = pw.zw.Close()
	}
	if err != nil {
		pw.err = errs.Wrap(opWrite, err)
	}
	return pw.err
}

// Abort gives up a package after an error, removing its temporary file.
// What was written is not a valid zip.
func (pw *PackageWriter) Abort() { pw.res.Close() }

// LOM metadata for tags: the vocabulary sources Vidya writes and reads.
const (
	lomNS       = "http://ltsc.ieee.org/xsd/LOM"
	lomVocab    = "LOMv1.0"
	topicSource = "Vidya topics"
	bloomSource = "Bloom's taxonomy (revised)"
)

// lomDifficulty maps Vidya's difficulty to LOM's educational difficulty,
// and back (with LOM's "very" values taken to the nearest).
var (
	lomDifficulty  = map[string]string{"easy": "easy", "medium": "medium", "hard": "difficult"}
	fromDifficulty = map[string]string{"very easy": "easy", "easy": "easy", "medium": "medium", "difficult": "hard", "very difficult": "hard"}
)

// writeLOM writes an item's tags as the IEEE LOM metadata of its resource:
// labels as general/keyword, difficulty as educational/difficulty, source
// as a relation "isbasedon" with a description, topic and Bloom level as
// classifications (purpose discipline and educational objective) whose
// taxon paths name their source.
func writeLOM(b *strings.Builder, t assess.Tags) {
	if tagsEmpty(t) {
		return
	}
	vocab := func(name, value string) {
		b.WriteString("<" + name + "><source>" + lomVocab + "</source><value>")
		attr(b, value)
		b.WriteString("</value></" + name + ">")
	}
	str := func(s string) {
		b.WriteString("<string>")
		attr(b, s)
		b.WriteString("</string>")
	}
	taxonPath := func(purpose, source string, ids []string) {
		b.WriteString("<classification>")
		vocab("purpose", purpose)
		b.WriteString("<taxonPath><source>")
		str(source)
		b.WriteString("</source>")
		for _, id := range ids {
			b.WriteString("<taxon><id>")
			attr(b, id)
			b.WriteString("</id><entry>")
			str(id)
			b.WriteString("</entry></taxon>")
		}
		b.WriteString("</taxonPath></classification>")
	}
	b.WriteString(`<metadata><lom xmlns="` + lomNS + `">`)
	if len(t.Labels) > 0 {
		b.WriteString("<general>")
		for _, l := range t.Labels {
			b.WriteString("<keyword>")
			str(l)
			b.WriteString("</keyword>")
		}
		b.WriteString("</general>")
	}
	if d, ok := lomDifficulty[t.Difficulty]; ok {
		b.WriteString("<educational>")
		vocab("difficulty", d)
		b.WriteString("</educational>")
	}
	if t.Source != "" {
		b.WriteString("<relation>")
		vocab("kind", "isbasedon")
		b.WriteString("<resource><description>")
		str(t.Source)
		b.WriteString("</description></resource></relation>")
	}
	if t.Topic != "" {
		taxonPath("discipline", topicSource, strings.Split(t.Topic, "/"))
	}
	if t.Bloom != "" {
		taxonPath("educational objective", bloomSource, []string{t.Bloom})
	}
	b.WriteString("</lom></metadata>")
}

// spillAt is how much of the manifest's resource list is kept in memory
// before it moves to a temporary file.
var spillAt = 1 << 20

// spill keeps what is written in memory up to spillAt bytes, then in a
// temporary file, so a package's manifest costs disk, not memory, however
// many items it lists. If no temporary file can be made it stays in memory.
type spill struct {
	mem bytes.Buffer
	f   *os.File
}

func (s *spill) Write(p []byte) (int, error) {
	if s.f == nil && s.mem.Len()+len(p) > spillAt {
		if f, err := os.CreateTemp("", "vidya-manifest-*"); err == nil {
			if _, err := s.mem.WriteTo(f); err != nil {
				f.Close()
				os.Remove(f.Name())
				return 0, err
			}
			s.f = f
			s.mem = bytes.Buffer{}
		}
	}
	if s.f != nil {
		return s.f.Write(p)
	}
	return s.mem.Write(p)
}

// WriteTo copies everything written to w.
func (s *spill) WriteTo(w io.Writer) (int64, error) {
	if s.f == nil {
		return s.mem.WriteTo(w)
	}
	if _, err := s.f.Seek(0, io.SeekStart); err != nil {
		return 0, err
	}
	return io.Copy(w, s.f)
}

// Close removes the temporary file, if there is one.
func (s *spill) Close() error {
	if s.f == nil {
		return nil
	}
	s.f.Close()
	err := os.Remove(s.f.Name())
	s.f = nil
	return err
}
