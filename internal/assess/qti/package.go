package qti

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"path"
	"strings"

	"github.com/vidya-edu/vidya/internal/assess"
	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// limits are the package limits; tests raise them to measure scaling.
var limits = struct {
	entries  int
	total    int64
	manifest int64
	ratio    uint64 // largest compression ratio of an entry over 1 MiB
}{MaxEntries, MaxPackageSize, 64 << 20, 200}

const opPackage = "qti: read package"

// resource is one manifest resource.
type resource struct {
	id, typ, href string
	base          string
	files         []string
	deps          []string
	line          int
	// tags are read from the resource's LOM metadata (see lomReader);
	// tagErr says what in it Vidya cannot take.
	tags   assess.Tags
	tagErr string
}

// ReadPackage reads an IMS content package (a zip with imsmanifest.xml at
// its top) and calls fn with one Parsed per item resource, in manifest
// order, one at a time: memory is bounded by one item, not the package.
//
// Nothing is left out silently. Test resources get a Parsed whose Err says
// they are not imported; resources of other kinds (images, stylesheets)
// that no item uses get one too, after the items; zip entries with unsafe
// names get one each, first. An item whose document or files are missing,
// too large or unsafe gets a Parsed with a precise Err, and the rest go on.
//
// The returned error is fn's, or an Invalid or TooLarge error when the file
// as a whole cannot be read: not a zip, no imsmanifest.xml, a malformed
// manifest, too many entries, or more than MaxPackageSize uncompressed.
func ReadPackage(ra io.ReaderAt, size int64, opts Options, fn func(assess.Parsed) error) error {
	zr, err := zip.NewReader(ra, size)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return errs.E(errs.Invalid, opPackage, "the file is not a zip archive (a QTI content package is a zip file with imsmanifest.xml at its top): %v", err)
	}
	if len(zr.File) > limits.entries {
		return errs.E(errs.TooLarge, opPackage, "the package has %d files; at most %d are allowed", len(zr.File), limits.entries)
	}
	p := &pkgReader{opts: opts, files: make(map[string]*zip.File, len(zr.File)), dups: map[string]bool{},
		used: map[string]bool{}, refs: map[string]string{}}
	var declared uint64
	var bad []assess.Parsed
	for _, f := range zr.File {
		declared += f.UncompressedSize64
		if strings.HasSuffix(f.Name, "/") && f.UncompressedSize64 == 0 {
			continue // a directory
		}
		if _, err := cleanPath("", f.Name); err != nil || path.Clean(f.Name) != f.Name {
			msg := "zip entry " + f.Name + ": the name is not a safe relative path (\"..\", an absolute path or a backslash); the entry is ignored"
			bad = append(bad, assess.Parsed{Where: "zip entry " + trunc(f.Name, 200), Err: errs.E(errs.Invalid, "", "%s", msg)})
			continue
		}
		if _, ok := p.files[f.Name]; ok {
			p.dups[f.Name] = true
		}
		p.files[f.Name] = f
	}
	if declared > uint64(limits.total) {
		return errs.E(errs.TooLarge, opPackage, "the package expands to %s; at most %s is allowed", size64(declared), fmtSize(limits.total))
	}
	mf, ok := p.files["imsmanifest.xml"]
	if !ok {
		return errs.E(errs.Invalid, opPackage, "the package has no imsmanifest.xml at its top level, so it is not an IMS content package")
	}
	if p.dups["imsmanifest.xml"] {
		return errs.E(errs.Invalid, opPackage, "the package has two files named imsmanifest.xml")
	}
	res, err := p.manifest(mf)
	if err != nil {
		return err
	}
	for _, b := range bad {
		if err := fn(b); err != nil {
			return err
		}
	}
	byID := map[string]*resource{}
	for i := range res {
		byID[res[i].id] = &res[i]
	}
	usedRes := map[string]bool{}
	var others []*resource
	for i := range res {
		r := &res[i]
		var parsed assess.Parsed
		switch resourceKind(r.typ) {
		case "item":
			parsed = p.item(r)
			for _, d := range r.deps {
				usedRes[d] = true
			}
		case "test":
			where := "test " + r.href
			if r.href == "" {
				where = "test resource " + r.id
			}
			parsed = assess.Parsed{Where: where, Ref: r.id,
				Err: errs.E(errs.Unsupported, "", "%s: assessmentTest resources are not imported as items; import their items", where)}
		default:
			others = append(others, r)
			continue
		}
		if p.total > limits.total {
			return errs.E(errs.TooLarge, opPackage, "the package expands to more than %s", fmtSize(limits.total))
		}
		if err := fn(parsed); err != nil {
			return err
		}
	}
	for _, r := range others {
		if usedRes[r.id] || p.usesAny(r) {
			continue
		}
		what := r.href
		if what == "" && len(r.files) > 0 {
			what = r.files[0]
		}
		where := "resource " + r.id
		err := errs.E(errs.Unsupported, "", "%s (%s, %s) is not an item and no item uses it; it was not imported", where, r.typ, what)
		if err := fn(assess.Parsed{Where: where, Ref: r.id, Err: err}); err != nil {
			return err
		}
	}
	return nil
}

func size64(n uint64) string {
	if n > 1<<62 {
		return "more than 4 EiB"
	}
	return fmtSize(int64(n))
}

func resourceKind(typ string) string {
	t := strings.ToLower(typ)
	switch {
	case strings.HasPrefix(t, "imsqti_item"):
		return "item"
	case strings.HasPrefix(t, "imsqti_test"), strings.HasPrefix(t, "imsqti_assessment"), strings.HasPrefix(t, "imsqti_section"):
		return "test"
	}
	return "other"
}

// pkgReader reads entries of one package.
type pkgReader struct {
	opts  Options
	files map[string]*zip.File
	dups  map[string]bool
	used  map[string]bool   // paths items referenced
	refs  map[string]string // image path → reference from Options.Media
	total int64             // uncompressed bytes read so far
	buf   []byte
}

func (p *pkgReader) usesAny(r *resource) bool {
	if r.href != "" && p.used[r.href] {
		return true
	}
	for _, f := range r.files {
		if p.used[f] {
			return true
		}
	}
	return false
}

// open checks an entry against the limits and opens it, counting what is
// read towards the package total.
func (p *pkgReader) open(name string, max int64) (io.ReadCloser, *zip.File, error) {
	f := p.files[name]
	switch {
	case f == nil:
		return nil, nil, refuse("%s is not in the package", name)
	case p.dups[name]:
		return nil, nil, refuse("the package has more than one file named %s", name)
	case f.UncompressedSize64 > uint64(max):
		return nil, nil, refuse("%s is %s uncompressed; at most %s is allowed", name, size64(f.UncompressedSize64), fmtSize(max))
	case f.UncompressedSize64 > 1<<20 && (f.CompressedSize64 == 0 || f.UncompressedSize64/f.CompressedSize64 > limits.ratio):
		return nil, nil, refuse("%s expands from %s to %s, which looks like a zip bomb; it was not read", name, size64(f.CompressedSize64), size64(f.UncompressedSize64))
	}
	rc, err := f.Open()
	if err != nil {
		return nil, nil, refuse("%s cannot be read: %v", name, err)
	}
	return &countReader{rc: rc, r: io.LimitedReader{R: rc, N: max + 1}, p: p}, f, nil
}

// countReader stops at the entry's limit and counts bytes towards the
// package's total, whatever the zip headers declared.
type countReader struct {
	rc io.ReadCloser
	r  io.LimitedReader
	p  *pkgReader
}

var errTooBig = errors.New("the package expands to more than its limit")

func (c *countReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.p.total += int64(n)
	if c.p.total > limits.total {
		return n, errTooBig
	}
	if c.r.N <= 0 {
		return n, errors.New("the file is larger than its limit")
	}
	return n, err
}

func (c *countReader) Close() error { return c.rc.Close() }

// read returns an entry's bytes, at most max. The slice is reused by the
// next call.
func (p *pkgReader) read(name string, max int64) ([]byte, error) {
	rc, f, err := p.open(name, max)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	n := int(f.UncompressedSize64)
	if cap(p.buf) < n+1 {
		p.buf = make([]byte, 0, n+1)
	}
	buf := bytes.NewBuffer(p.buf[:0])
	if _, err := buf.ReadFrom(rc); err != nil {
		return nil, refuse("%s cannot be read: %v", name, err)
	}
	p.buf = buf.Bytes()[:0]
	return buf.Bytes(), nil
}

// item reads one item resource, with its companion language files.
func (p *pkgReader) item(r *resource) assess.Parsed {
	where := r.href
	if where == "" {
		for _, f := range r.files {
			if strings.HasSuffix(f, ".xml") {
				where = f
				break
			}
		}
	}
	if where == "" {
		e := errs.E(errs.Invalid, "", "resource %s: an item resource needs an href", r.id)
		return assess.Parsed{Where: "resource " + r.id, Ref: r.id, Err: e}
	}
	if msg, bad := strings.CutPrefix(where, "!"); bad {
		e := errs.E(errs.Invalid, "", "resource %s: %s", r.id, msg)
		return assess.Parsed{Where: "resource " + r.id, Ref: r.id, Err: e}
	}
	if r.tagErr != "" {
		e := errs.E(errs.Invalid, "", "resource %s: its metadata: %s", r.id, r.tagErr)
		return assess.Parsed{Where: "resource " + r.id, Ref: r.id, Err: e}
	}
	fail := func(err error) assess.Parsed {
		var u *unsupported
		if errors.As(err, &u) {
			err = itemErr(errs.Invalid, where, "%s", u.msg)
		}
		return assess.Parsed{Where: "item " + where, Ref: r.id, Err: err}
	}
	for _, f := range append([]string{where}, r.files...) {
		if strings.HasPrefix(f, "!") {
			return fail(refuse("%s", f[1:]))
		}
		if p.files[f] == nil {
			return fail(refuse("file %s listed in the manifest is not in the package", f))
		}
		p.used[f] = true
	}
	data, err := p.read(where, MaxItemSize)
	if err != nil {
		return fail(err)
	}
	dir := path.Dir(where)
	ir := &itemReader{where: where, opts: p.opts, image: func(src string) (string, error) { return p.image(dir, src) }}
	it, ref, err := ir.read(data)
	if ref == "" {
		ref = r.id
	}
	if err != nil {
		return assess.Parsed{Where: "item " + where, Ref: ref, Err: err}
	}
	notes := ir.notes
	base := strings.TrimSuffix(where, ".xml")
	for _, f := range r.files {
		tag, ok := strings.CutPrefix(f, base+".")
		if !ok || f == where || !strings.HasSuffix(tag, ".xml") {
			continue
		}
		if tag = strings.TrimSuffix(tag, ".xml"); len(tag) < 2 || len(tag) > 8 || strings.ContainsAny(tag, "./") {
			continue
		}
		data, err := p.read(f, MaxItemSize)
		if err != nil {
			return fail(err)
		}
		cr := &itemReader{where: f, opts: Options{Lang: tag, Media: p.opts.Media}, image: ir.image}
		other, _, err := cr.read(data)
		if err != nil {
			return assess.Parsed{Where: "item " + where, Ref: ref, Err: err}
		}
		if err := merge(it, other); err != nil {
			return fail(refuse("companion %s: %s", f, err.Error()))
		}
		for _, n := range cr.notes {
			notes = append(notes, "companion "+f+": "+n)
		}
	}
	it.Tags = r.tags
	if len(it.Text) > 1 || !tagsEmpty(it.Tags) {
		if err := it.Validate(); err != nil {
			msg := "the item with its other languages is not valid"
			if len(it.Text) == 1 {
				msg = "the tags in its manifest metadata are not valid"
			}
			e := itemErr(errs.Invalid, where, "%s", msg)
			if v := errs.As(err); v != nil {
				e.Fields = v.Fields
			}
			return assess.Parsed{Where: "item " + where, Ref: ref, Err: e}
		}
		it.ContentHash = it.Hash()
	}
	return assess.Parsed{Item: it, Where: "item " + where, Ref: ref, Notes: notes}
}

// merge adds other's languages to it; everything but the text must match.
func merge(it, other *assess.Item) error {
	shape := func(x *assess.Item) string {
		b, _ := json.Marshal([]any{x.Type, x.Choices, x.Left, x.Right, x.Key, x.Scoring, x.Shuffle, x.MaxChoices})
		return string(b)
	}
	if shape(it) != shape(other) {
		return errors.New("its type, choices, key or scoring differ from the item's")
	}
	for lang, t := range other.Text {
		if _, ok := it.Text[lang]; ok {
			return fmt.Errorf("it is in %s, like the item", lang)
		}
		it.Text[lang] = t
	}
	return nil
}

// image resolves an img src in an item in dir.
func (p *pkgReader) image(dir, src string) (string, error) {
	u, err := url.Parse(src)
	if err != nil {
		return "", refuse("image src %q is not a valid URL", trunc(src, 60))
	}
	switch u.Scheme {
	case "http", "https":
		return src, nil
	case "":
	default:
		return "", refuse("image src %q: only http, https and files in the package are allowed", trunc(src, 40))
	}
	name, err := cleanPath(dir, u.Path)
	if err != nil {
		return "", err
	}
	if ref, ok := p.refs[name]; ok {
		return ref, nil
	}
	if p.files[name] == nil {
		return "", refuse("image %s is not in the package", name)
	}
	p.used[name] = true
	ref := name
	if p.opts.Media != nil {
		rc, _, err := p.open(name, MaxMediaSize)
		if err != nil {
			return "", err
		}
		ref, err = p.opts.Media(name, rc)
		rc.Close()
		if err != nil {
			return "", refuse("image %s: %v", name, err)
		}
	}
	p.refs[name] = ref
	return ref, nil
}

// cleanPath resolves href against dir inside the package, refusing
// anything that could leave it.
func cleanPath(dir, href string) (string, error) {
	switch {
	case href == "":
		return "", refuse("an empty path")
	case strings.ContainsAny(href, "\\\x00"):
		return "", refuse("path %q contains a backslash; paths in a package use /", trunc(href, 80))
	case strings.HasPrefix(href, "/") || len(href) > 1 && href[1] == ':':
		return "", refuse("path %q is absolute; paths in a package must be relative", trunc(href, 80))
	}
	p := path.Join(dir, href)
	if p == "." || p == ".." || strings.HasPrefix(p, "../") || !fs.ValidPath(p) {
		return "", refuse("path %q points outside the package", trunc(href, 80))
	}
	return p, nil
}

// manifest reads the manifest's resources, streaming, so a large manifest
// with metadata costs only its resource list.
func (p *pkgReader) manifest(f *zip.File) ([]resource, error) {
	rc, _, err := p.open("imsmanifest.xml", limits.manifest)
	if err != nil {
		return nil, errs.E(errs.Invalid, opPackage, "imsmanifest.xml: %s", err.Error())
	}
	defer rc.Close()
	d := xml.NewDecoder(rc)
	d.Strict = true
	d.Entity = xml.HTMLEntity
	d.CharsetReader = charsetReader
	malformed := func(line int, msg string) error {
		return errs.E(errs.Invalid, opPackage, "imsmanifest.xml is not valid XML: line %d: %s", line, msg)
	}
	var (
		out   []resource
		stack []string
		bases []string
		cur   *resource
		nfile int
		lom   lomReader
	)
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			var se *xml.SyntaxError
			if errors.As(err, &se) {
				return nil, malformed(se.Line, se.Msg)
			}
			line, _ := d.InputPos()
			return nil, malformed(line, err.Error())
		}
		switch t := tok.(type) {
		case xml.StartElement:
			line, _ := d.InputPos()
			if len(stack) >= maxDepth {
				return nil, malformed(line, "elements are nested too deep")
			}
			base := ""
			if len(bases) > 0 {
				base = bases[len(bases)-1]
			}
			for _, a := range t.Attr {
				if a.Name.Space == xmlNS && a.Name.Local == "base" {
					base = path.Join(base, a.Value)
				}
			}
			stack = append(stack, t.Name.Local)
			bases = append(bases, base)
			inTop := len(stack) >= 3 && stack[0] == "manifest" && stack[1] == "resources"
			switch {
			case len(stack) == 1 && t.Name.Local != "manifest":
				return nil, errs.E(errs.Invalid, opPackage, "imsmanifest.xml's root element is <%s>, not <manifest>", t.Name.Local)
			case inTop && len(stack) == 3 && t.Name.Local == "resource":
				if len(out) >= limits.entries {
					return nil, errs.E(errs.TooLarge, opPackage, "imsmanifest.xml lists more than %d resources", limits.entries)
				}
				out = append(out, resource{line: line, base: base})
				cur = &out[len(out)-1]
				for _, a := range t.Attr {
					switch a.Name.Local {
					case "identifier":
						cur.id = a.Value
					case "type":
						cur.typ = a.Value
					case "href":
						cur.href = resolveHref(base, a.Value)
					}
				}
			case inTop && len(stack) == 4 && cur != nil && t.Name.Local == "file":
				if nfile++; nfile > 4*limits.entries {
					return nil, errs.E(errs.TooLarge, opPackage, "imsmanifest.xml lists more than %d files", 4*limits.entries)
				}
				for _, a := range t.Attr {
					if a.Name.Local == "href" {
						h := resolveHref(base, a.Value)
						if h != cur.href {
							cur.files = append(cur.files, h)
						}
					}
				}
			case inTop && len(stack) >= 5 && cur != nil && stack[3] == "metadata":
				lom.start(stack[4:])
			case inTop && len(stack) == 4 && cur != nil && t.Name.Local == "dependency":
				for _, a := range t.Attr {
					if a.Name.Local == "identifierref" {
						cur.deps = append(cur.deps, a.Value)
					}
				}
			}
		case xml.CharData:
			if cur != nil && len(stack) >= 5 && stack[3] == "metadata" {
				lom.text(t)
			}
		case xml.EndElement:
			if cur != nil && len(stack) >= 5 && stack[3] == "metadata" {
				lom.end(stack[4:], cur)
			}
			stack = stack[:len(stack)-1]
			bases = bases[:len(bases)-1]
			if len(stack) == 2 {
				cur = nil
				lom = lomReader{}
			}
		case xml.Directive:
			if s := strings.TrimSpace(string(t)); len(s) >= 7 && strings.EqualFold(s[:7], "DOCTYPE") {
				line, _ := d.InputPos()
				return nil, errs.E(errs.Invalid, opPackage, "imsmanifest.xml line %d: DOCTYPE declarations are not allowed (entity definitions are a security risk)", line)
			}
		}
	}
	if len(stack) > 0 {
		return nil, malformed(0, "the document ends early")
	}
	if len(out) == 0 {
		return nil, errs.E(errs.Invalid, opPackage, "imsmanifest.xml lists no resources")
	}
	return out, nil
}

// resolveHref cleans a manifest href; one that is unsafe becomes "!" and
// the reason, reported on the resource.
func resolveHref(base, href string) string {
	orig := href
	if u, err := url.Parse(href); err == nil && u.Scheme != "" {
		return "!href " + trunc(orig, 80) + " points outside the package"
	}
	if h, err := url.PathUnescape(href); err == nil {
		href = h
	}
	p, err := cleanPath(base, href)
	if err != nil {
		return "!href " + err.Error()
	}
	return p
}
