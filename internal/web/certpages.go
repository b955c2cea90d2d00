package web

import (
	"bytes"
	"compress/flate"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/vidya-edu/vidya/internal/certify"
	"github.com/vidya-edu/vidya/internal/certify/pdf"
	"github.com/vidya-edu/vidya/internal/certify/rules"
	"github.com/vidya-edu/vidya/internal/identity"
	"github.com/vidya-edu/vidya/internal/platform/errs"
	"github.com/vidya-edu/vidya/internal/platform/httpx"
	"github.com/vidya-edu/vidya/internal/platform/l10n"
)

// The staff pages of certificates: an overview (signing key, types,
// recent batches), the type editor with its live preview and dry run,
// the template assets, batches from making to issuing, and one
// certificate with its revocation and correction. The certify service
// decides who may do what; the roles here only choose what to show.
var (
	certReaders   = []identity.Role{identity.RoleAdmin, identity.RoleApprover}
	certAdmins    = []identity.Role{identity.RoleAdmin}
	certApprovers = []identity.Role{identity.RoleApprover}
)

// Sizes of the certificate pages' lists, within the page weight budget.
const (
	recentBatches   = 10
	rejectedPerPage = 20
	samplesShown    = 5
	dryRunRowsShown = 10
	ruleBlankRows   = 2
	maxRuleRows     = 60
)

// Limits of what the certificate pages take.
const (
	// maxEditorForm bounds the type editor's form: a template of up to
	// 1 MB and the rest.
	maxEditorForm = 2 << 20
	// maxDryRunCSV bounds the file of a dry run; a real batch may be
	// larger.
	maxDryRunCSV = 8 << 20
	// maxDraftParam bounds the preview URL's encoded definition (and the
	// header that carries it): proxies refuse longer URLs and headers
	// (nginx's default is 8 KB). The starter template takes 700 bytes; a
	// longer draft is previewed by the script's POST only.
	maxDraftParam = 6 << 10
	// maxDraftJSON bounds the definition it inflates to.
	maxDraftJSON = 2 << 20
	// previewWidth is the preview image's width in pixels: sharp at the
	// page's width on a phone of 2x density.
	previewWidth = 800
)

// achievementKinds are the Open Badges achievement types a type may name.
var achievementKinds = []string{"Certificate", "Diploma", "Degree", "License", "Course", "Assessment", "Award", "Badge", "Certification", "CourseCompletion", "Achievement"}

// batchStateKeys word a batch's state.
var batchStateKeys = map[string]string{
	certify.BatchPending:   "certs.state_pending",
	certify.BatchIssuing:   "certs.state_issuing",
	certify.BatchPaused:    "certs.state_paused",
	certify.BatchDone:      "certs.state_done",
	certify.BatchCancelled: "certs.state_cancelled",
	certify.BatchDeclined:  "certs.state_declined",
}

// certStatusKeys word a certificate's standing, on the staff pages and
// the public ones.
var certStatusKeys = map[string]string{
	certify.StatusValid:    "verification.valid",
	certify.StatusRevoked:  "verification.revoked",
	certify.StatusReplaced: "verification.replaced",
	certify.StatusExpired:  "verification.expired",
	certify.StatusUnknown:  "verification.unknown",
	certify.StatusTampered: "verification.tampered",
}

// finalBatch reports whether a batch's state can no longer change.
func finalBatch(state string) bool {
	return state == certify.BatchDone || state == certify.BatchCancelled || state == certify.BatchDeclined
}

// certFuncs are the template functions of the certificate pages.
func (w *Web) certFuncs(lang string) template.FuncMap {
	return template.FuncMap{
		"batchstate": func(s string) string { return w.cat.text(lang, batchStateKeys[s]) },
		"certstatus": func(s string) string { return w.cat.text(lang, certStatusKeys[s]) },
		"certify":    func() bool { return w.cfg.Certify != nil },
		"day": func(t any) string {
			switch x := t.(type) {
			case time.Time:
				return x.UTC().Format("02-01-2006")
			case *time.Time:
				if x != nil {
					return x.UTC().Format("02-01-2006")
				}
			}
			return ""
		},
		"kb": func(n int64) string { return strconv.FormatFloat(float64(n)/1024, 'f', 1, 64) + " KB" },
	}
}

func certsURL(a *identity.Authority) string { return "/a/" + url.PathEscape(a.Code) + "/certificates" }

func certTypeURL(a *identity.Authority, typeCode string) string {
	return certsURL(a) + "/types/" + url.PathEscape(typeCode)
}

func batchURL(a *identity.Authority, id int64) string {
	return certsURL(a) + "/batches/" + strconv.FormatInt(id, 10)
}

func certURL(a *identity.Authority, docID string) string {
	return certsURL(a) + "/c/" + url.PathEscape(docID)
}

// certUser is the signed-in caller and the authority of a certificate
// page they may read; on nil the response has been written. Another
// authority's pages are not found; a member without a role in
// certificates is forbidden.
func (w *Web) certUser(rw http.ResponseWriter, r *http.Request) (*identity.Principal, *identity.Authority) {
	p := w.user(rw, r)
	if p == nil {
		return nil, nil
	}
	a, err := w.svc.AuthorityAs(r.Context(), p, r.PathValue("code"), certReaders...)
	if err != nil {
		w.fail(rw, r, err)
		return nil, nil
	}
	return p, a
}

// errText is a message about a field in lang: the pages' own sentence
// for the commonest, else the service's message translated.
func (w *Web) errText(lang, msg string) string {
	if key, ok := fieldMessages[msg]; ok && key != "fielderr.password_short" {
		return w.cat.text(lang, key)
	}
	return l10n.Translate(lang, msg)
}

// certInput is one labelled input of a certificate page.
func (w *Web) certInput(lang string, f *form, name, typ, labelKey, hintKey string, required bool) fieldView {
	v := fieldView{ID: "f-" + name, Name: name, Type: typ, Label: w.cat.text(lang, labelKey), Value: f.Get(name), Required: required}
	if hintKey != "" {
		v.Hint = w.cat.text(lang, hintKey)
		v.Describedby = v.ID + "-hint"
	}
	if msg := f.Err(name); msg != "" {
		v.Err = w.errText(lang, msg)
		v.Describedby = strings.TrimSpace(v.Describedby + " " + v.ID + "-err")
	}
	return v
}

// errLink is one entry of a form's list of problems, linking to the field.
type errLink struct {
	Href, Label, Message string
}

// formProblems copies a service error's field messages into f and
// reports whether err was a form problem; a message without fields
// becomes the form's message.
func (w *Web) formProblems(lang string, f *form, err error) bool {
	e := errs.As(err)
	if e == nil {
		return false
	}
	switch e.Kind {
	case errs.Invalid, errs.Conflict, errs.TooLarge, errs.Unsupported:
	default:
		return false
	}
	if len(e.Fields) == 0 {
		f.Message = l10n.Translate(lang, e.Message)
		return true
	}
	for k, v := range e.Fields {
		f.Errors[k] = v
	}
	f.Message = w.cat.text(lang, "form.fix")
	return true
}

// ---- the overview ----

type batchRow struct {
	certify.Batch
	Percent int
}

func batchRowOf(b certify.Batch) batchRow {
	row := batchRow{Batch: b}
	if b.Valid > 0 {
		row.Percent = (b.Issued + b.Failed) * 100 / b.Valid
	}
	return row
}

type certOverviewData struct {
	A        *identity.Authority
	CanAdmin bool
	Key      *certify.Key // the active signing key
	Retired  int
	Types    []certify.CertType
	Batches  []batchRow
	Find     fieldView
}

// certOverview shows an authority's signing key, certificate types and
// recent batches, with a box to find a certificate by its number.
func (w *Web) certOverview(rw http.ResponseWriter, r *http.Request) {
	p, a := w.certUser(rw, r)
	if a == nil {
		return
	}
	w.certOverviewPage(rw, r, p, a, http.StatusOK, emptyForm())
}

func (w *Web) certOverviewPage(rw http.ResponseWriter, r *http.Request, p *identity.Principal, a *identity.Authority, status int, f *form) {
	ctx := r.Context()
	c := w.cfg.Certify
	keys, err := c.Keys(ctx, p, a.Code)
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	d := &certOverviewData{A: a, CanAdmin: p.Has(a.ID, certAdmins...)}
	for i := range keys {
		if keys[i].Active && d.Key == nil {
			d.Key = &keys[i]
		} else {
			d.Retired++
		}
	}
	if d.Types, err = c.Types(ctx, p, a.Code); err != nil {
		w.fail(rw, r, err)
		return
	}
	batches, err := c.Batches(ctx, p, a.Code, 0, recentBatches)
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	for _, b := range batches {
		d.Batches = append(d.Batches, batchRowOf(b))
	}
	d.Find = w.certInput(w.lang(r), f, "number", "text", "certs.number", "", true)
	v := w.newView(r, d)
	v.Form = f
	w.render(rw, r, status, "cert_overview", v)
}

// rotateKey creates the authority's first signing key, or a new one that
// retires the old.
func (w *Web) rotateKey(rw http.ResponseWriter, r *http.Request) {
	p, a := w.certUser(rw, r)
	if a == nil {
		return
	}
	if _, err := w.cfg.Certify.RotateKey(r.Context(), p, a.Code); err != nil {
		w.fail(rw, r, err)
		return
	}
	w.setFlash(rw, "flash.cert_key_created")
	seeOther(rw, r, certsURL(a))
}

// findCertificate opens the certificate with the number asked for.
func (w *Web) findCertificate(rw http.ResponseWriter, r *http.Request) {
	p, a := w.certUser(rw, r)
	if a == nil {
		return
	}
	f := &form{Values: r.URL.Query(), Errors: map[string]string{}}
	number := strings.ToUpper(strings.TrimSpace(f.Get("number")))
	if number != "" {
		c, err := w.cfg.Certify.Certificate(r.Context(), p, a.Code, number)
		if err == nil {
			seeOther(rw, r, certURL(a, c.DocID))
			return
		}
		if !errs.Is(err, errs.NotFound) {
			w.fail(rw, r, err)
			return
		}
	}
	lang := w.lang(r)
	f.Errors["number"] = w.cat.text(lang, "certs.not_found")
	f.Message = w.cat.text(lang, "form.fix")
	w.certOverviewPage(rw, r, p, a, http.StatusNotFound, f)
}

// ---- the type editor ----

// starterTemplate is the layout a new type starts from: a landscape A4
// page with the issuer, the holder and what they achieved, and the QR
// code, in the built-in fonts.
const starterTemplate = `{
  "page": {"size": "A4", "orientation": "landscape"},
  "elements": [
    {"type": "rect", "x": 8, "y": 8, "width": 281, "height": 194, "colour": "#1A3C6E", "stroke_width": 3},
    {"type": "rect", "x": 12, "y": 12, "width": 273, "height": 186, "colour": "#C89B3C", "stroke_width": 1},
    {"type": "text", "field": "issuer.name", "x": 20, "y": 22, "width": 257, "size": 22, "weight": "bold", "align": "center", "colour": "#1A3C6E", "shrink": true, "min_size": 12},
    {"type": "text", "text": "प्रमाणपत्र · Certificate", "x": 20, "y": 38, "width": 257, "size": 18, "align": "center", "colour": "#7A5A12", "lang": "hi"},
    {"type": "text", "text": "This is to certify that", "x": 20, "y": 60, "width": 257, "size": 13, "align": "center"},
    {"type": "text", "field": "holder.name", "x": 20, "y": 70, "width": 257, "size": 30, "weight": "bold", "align": "center", "shrink": true, "min_size": 14},
    {"type": "text", "text": "has been awarded", "x": 20, "y": 92, "width": 257, "size": 13, "align": "center"},
    {"type": "text", "field": "achievement.name", "x": 30, "y": 102, "width": 237, "size": 18, "align": "center", "wrap": true, "max_lines": 2},
    {"type": "text", "field": "holder.id", "x": 22, "y": 150, "width": 150, "size": 10},
    {"type": "text", "field": "certificate.issued_on", "x": 22, "y": 156, "width": 150, "size": 10},
    {"type": "text", "field": "certificate.id", "x": 22, "y": 162, "width": 150, "size": 10},
    {"type": "text", "field": "certificate.url", "x": 22, "y": 168, "width": 200, "size": 8, "colour": "#555555"},
    {"type": "qr", "x": 240, "y": 150, "size": 38}
  ]
}`

// starterFields are the fields a new type starts with: the holder's.
const starterFields = certify.FieldHolderID + ", Roll or enrolment number, string, required\n" + certify.FieldHolderName + ", Name, string, required"

// ruleRowView is one rule's inputs in the editor.
type ruleRowView struct {
	N                   int // from 1
	Name, Expr, Message fieldView
}

// dryRunView is the report of a dry run of the rules on a CSV file.
type dryRunView struct {
	Total, Passed, Failed int
	ByRule, ByField       []countRow
	Rows                  []dryRunRow
	More                  int // failing rows not shown
}

type countRow struct {
	Name string
	N    int
}

type dryRunRow struct {
	Line    int
	Reasons []string
}

type typeData struct {
	A        *identity.Authority
	New      bool
	TypeCode string
	Version  int
	Archived bool
	CanEdit  bool
	Action   string

	Code, Name, Description, AchName, AchDesc, Criteria, Validity fieldView

	Kinds        []string
	Kind         string
	KindErr      string
	Fields       string
	FieldsErrs   []string
	Rules        []ruleRowView
	RulesErr     string
	Template     string
	TemplateErrs []string
	Errors       []errLink
	Message      string

	// PreviewURL renders the form as it was last sent, as a PNG; PDFURL as
	// a sample PDF; PreviewPost takes the form as it is (the script's
	// live preview).
	PreviewURL, PDFURL, PreviewPost string
	PreviewErrs                     []string
	// PreviewNoBackground: the template's background is a PDF page,
	// which the preview image leaves out and the sample PDF shows.
	PreviewNoBackground bool
	CSV                 fieldView
	DryRun              *dryRunView
}

// newType shows the editor of a new certificate type, filled in with a
// starter template.
func (w *Web) newType(rw http.ResponseWriter, r *http.Request) {
	p, a := w.certUser(rw, r)
	if a == nil {
		return
	}
	f := emptyForm()
	f.Values.Set("achievement.kind", "Certificate")
	f.Values.Set("fields", starterFields)
	f.Values.Set("template", starterTemplate)
	w.typePage(rw, r, p, a, nil, http.StatusOK, f, nil, true, nil)
}

// editType shows a saved type in the editor.
func (w *Web) editType(rw http.ResponseWriter, r *http.Request) {
	p, a := w.certUser(rw, r)
	if a == nil {
		return
	}
	t, err := w.cfg.Certify.Type(r.Context(), p, a.Code, r.PathValue("type"))
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	w.typePage(rw, r, p, a, t, http.StatusOK, typeForm(t.Definition), nil, true, nil)
}

// typeForm is a definition as the editor's form values.
func typeForm(d certify.Definition) *form {
	v := url.Values{}
	v.Set("name", d.Name)
	v.Set("description", d.Description)
	v.Set("achievement.name", d.Achievement.Name)
	v.Set("achievement.description", d.Achievement.Description)
	v.Set("achievement.criteria", d.Achievement.Criteria)
	v.Set("achievement.kind", d.Achievement.Kind)
	if d.ValidityMonths > 0 {
		v.Set("validity_months", strconv.Itoa(d.ValidityMonths))
	}
	var lines []string
	for _, fd := range d.Fields {
		line := fd.Name + ", " + fd.Label + ", " + string(fd.Type)
		if fd.Required {
			line += ", required"
		}
		lines = append(lines, line)
	}
	v.Set("fields", strings.Join(lines, "\n"))
	for i, rd := range d.Rules {
		p := "rules." + strconv.Itoa(i) + "."
		v.Set(p+"name", rd.Name)
		v.Set(p+"expr", rd.Expr)
		v.Set(p+"message", rd.Message)
	}
	if tpl, err := templateJSON(d.Template); err == nil {
		v.Set("template", tpl)
	}
	return &form{Values: v, Errors: map[string]string{}}
}

// templateJSON writes a template as the editor shows it: one element a
// line, as the starter template is written, so a long template stays
// short enough to read and to send.
func templateJSON(t pdf.Template) (string, error) {
	enc := func(v any) (string, error) {
		var buf bytes.Buffer
		e := json.NewEncoder(&buf)
		e.SetEscapeHTML(false)
		if err := e.Encode(v); err != nil {
			return "", err
		}
		return strings.TrimSuffix(buf.String(), "\n"), nil
	}
	var b strings.Builder
	page, err := enc(t.Page)
	if err != nil {
		return "", err
	}
	b.WriteString("{\n  \"page\": " + page + ",\n")
	if t.Background != "" {
		bg, _ := enc(t.Background)
		b.WriteString("  \"background\": " + bg + ",\n")
	}
	b.WriteString("  \"elements\": [")
	for i, e := range t.Elements {
		el, err := enc(e)
		if err != nil {
			return "", err
		}
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString("\n    " + el)
	}
	b.WriteString("\n  ]\n}")
	return b.String(), nil
}

// parseFieldLines reads the editor's fields, one a line: name, label,
// type and optionally "required". It returns the first line it cannot
// read, or 0.
func parseFieldLines(s string) ([]certify.FieldDef, int) {
	var out []certify.FieldDef
	for i, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		parts := strings.Split(line, ",")
		for j := range parts {
			parts[j] = strings.TrimSpace(parts[j])
		}
		fd := certify.FieldDef{Name: parts[0]}
		switch strings.ToLower(parts[len(parts)-1]) {
		case "required", "yes":
			fd.Required = true
			parts = parts[:len(parts)-1]
		case "optional", "no":
			parts = parts[:len(parts)-1]
		}
		if len(parts) < 3 {
			return out, i + 1
		}
		fd.Type = rules.Type(strings.ToLower(parts[len(parts)-1]))
		fd.Label = strings.Join(parts[1:len(parts)-1], ", ")
		out = append(out, fd)
	}
	return out, 0
}

// jsonPosition is the line and column of a byte offset in s.
func jsonPosition(s string, offset int64) (line, col int) {
	if offset > int64(len(s)) {
		offset = int64(len(s))
	}
	before := s[:offset]
	line = strings.Count(before, "\n") + 1
	col = len([]rune(before[strings.LastIndexByte(before, '\n')+1:])) + 1
	return line, col
}

// decodeTemplate reads the template's JSON, refusing unknown keys, and
// says where it went wrong.
func (w *Web) decodeTemplate(lang, s string) (pdf.Template, string) {
	var t pdf.Template
	dec := json.NewDecoder(strings.NewReader(s))
	dec.DisallowUnknownFields()
	err := dec.Decode(&t)
	if err == nil && dec.More() {
		err = errors.New("data after the end")
	}
	if err == nil {
		return t, ""
	}
	offset := dec.InputOffset()
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		offset = syn.Offset
	case errors.As(err, &typ):
		offset = typ.Offset
	}
	line, col := jsonPosition(s, offset)
	return t, fmt.Sprintf(w.cat.text(lang, "certs.template_json"), line, col, strings.TrimPrefix(err.Error(), "json: "))
}

// definitionOf reads a definition from the editor's form, noting in f
// what cannot be read. It returns, for each rule passed on, the form's
// row it came from (blank rows are left out).
func (w *Web) definitionOf(lang string, f *form) (certify.Definition, []int) {
	d := certify.Definition{
		Name:        f.Get("name"),
		Description: f.Get("description"),
		Achievement: certify.AchievementDef{Name: f.Get("achievement.name"), Description: f.Get("achievement.description"),
			Criteria: f.Get("achievement.criteria"), Kind: f.Get("achievement.kind")},
	}
	if s := strings.TrimSpace(f.Get("validity_months")); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			f.Errors["validity_months"] = w.cat.text(lang, "fielderr.whole_number")
		}
		d.ValidityMonths = n
	}
	fields, bad := parseFieldLines(f.Get("fields"))
	if bad > 0 {
		f.Errors["fields"] = fmt.Sprintf(w.cat.text(lang, "certs.field_line"), bad)
	}
	d.Fields = fields
	var rows []int
	for i := range ruleRows(f) {
		p := "rules." + strconv.Itoa(i) + "."
		rd := certify.RuleDef{Name: strings.TrimSpace(f.Get(p + "name")), Expr: f.Get(p + "expr"), Message: strings.TrimSpace(f.Get(p + "message"))}
		if rd.Name == "" && strings.TrimSpace(rd.Expr) == "" && rd.Message == "" {
			continue
		}
		d.Rules = append(d.Rules, rd)
		rows = append(rows, i)
	}
	if s := strings.TrimSpace(f.Get("template")); s != "" {
		t, msg := w.decodeTemplate(lang, s)
		if msg != "" {
			f.Errors["template"] = msg
		}
		d.Template = t
	}
	return d, rows
}

// ruleRows is how many rule rows the form has.
func ruleRows(f *form) int {
	n := 0
	for k := range f.Values {
		rest, ok := strings.CutPrefix(k, "rules.")
		if !ok {
			continue
		}
		num, _, _ := strings.Cut(rest, ".")
		if i, err := strconv.Atoi(num); err == nil && i >= 0 && i < maxRuleRows && i+1 > n {
			n = i + 1
		}
	}
	return n
}

// typeProblems files a service error's fields under the editor's inputs:
// a rule's problem under the row it came from.
func (w *Web) typeProblems(lang string, f *form, err error, rows []int) bool {
	e := errs.As(err)
	if e == nil || len(e.Fields) == 0 {
		return w.formProblems(lang, f, err)
	}
	if e.Kind != errs.Invalid && e.Kind != errs.Conflict {
		return false
	}
	for k, v := range e.Fields {
		if rest, ok := strings.CutPrefix(k, "rules."); ok {
			num, part, _ := strings.Cut(rest, ".")
			if i, err := strconv.Atoi(num); err == nil && i >= 0 && i < len(rows) {
				k = "rules." + strconv.Itoa(rows[i]) + "." + part
			}
		}
		f.Errors[k] = v
	}
	f.Message = w.cat.text(lang, "form.fix")
	return true
}

// typePage renders the editor. t is the saved type (nil for a new one);
// preview asks for the preview image of the form as it is.
func (w *Web) typePage(rw http.ResponseWriter, r *http.Request, p *identity.Principal, a *identity.Authority, t *certify.CertType, status int, f *form, rep *rules.Report, preview bool, previewErrs []string) {
	lang := w.lang(r)
	d := &typeData{A: a, New: t == nil, CanEdit: p.Has(a.ID, certAdmins...), Kinds: achievementKinds, Kind: f.Get("achievement.kind"),
		Fields: f.Get("fields"), Template: f.Get("template"), Message: f.Message, PreviewErrs: previewErrs}
	if t == nil {
		d.Action = certsURL(a) + "/types/new"
	} else {
		d.TypeCode, d.Version, d.Archived, d.Action = t.Code, t.Version, t.Archived, certTypeURL(a, t.Code)
	}
	d.PreviewPost = certsURL(a) + "/preview"
	d.Code = w.certInput(lang, f, "code", "text", "certs.type_code", "certs.type_code_hint", true)
	d.Name = w.certInput(lang, f, "name", "text", "certs.type_name", "", true)
	d.Description = w.certInput(lang, f, "description", "text", "certs.description", "", false)
	d.AchName = w.certInput(lang, f, "achievement.name", "text", "certs.achievement_name", "certs.achievement_name_hint", true)
	d.AchDesc = w.certInput(lang, f, "achievement.description", "text", "certs.achievement_description", "", false)
	d.Criteria = w.certInput(lang, f, "achievement.criteria", "text", "certs.criteria", "", false)
	d.Validity = w.certInput(lang, f, "validity_months", "text", "certs.validity", "certs.validity_hint", false)
	d.Validity.Mode = "numeric"
	d.CSV = w.certInput(lang, f, "csv", "file", "certs.dry_run_file", "certs.dry_run_hint", false)
	if msg := f.Err("achievement.kind"); msg != "" {
		d.KindErr = w.errText(lang, msg)
	}
	n := ruleRows(f) + ruleBlankRows
	for i := range n {
		p := "rules." + strconv.Itoa(i) + "."
		row := ruleRowView{N: i + 1,
			Name:    w.certInput(lang, f, p+"name", "text", "certs.rule_name", "", false),
			Expr:    w.certInput(lang, f, p+"expr", "text", "certs.rule_expr", "", false),
			Message: w.certInput(lang, f, p+"message", "text", "certs.rule_message", "", false)}
		d.Rules = append(d.Rules, row)
	}
	// The list of problems, each linked to where it is.
	labels := map[string]string{
		"code": "certs.type_code", "name": "certs.type_name", "description": "certs.description", "achievement.name": "certs.achievement_name",
		"achievement.description": "certs.achievement_description", "achievement.criteria": "certs.criteria", "achievement.kind": "certs.kind",
		"validity_months": "certs.validity", "fields": "certs.fields", "template": "certs.template", "rules": "certs.rules", "csv": "certs.dry_run_file",
	}
	keys := make([]string, 0, len(f.Errors))
	for k := range f.Errors {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		msg := w.errText(lang, f.Errors[k])
		link := errLink{Href: "#f-" + k, Message: msg}
		switch {
		case k == "fields" || strings.HasPrefix(k, "fields."):
			d.FieldsErrs = append(d.FieldsErrs, msg)
			link.Href, link.Label = "#f-fields", w.cat.text(lang, labels["fields"])
		case k == "template" || strings.HasPrefix(k, "template."):
			if k != "template" {
				msg = strings.TrimPrefix(k, "template.") + ": " + msg
			}
			d.TemplateErrs = append(d.TemplateErrs, msg)
			link.Href, link.Label, link.Message = "#f-template", w.cat.text(lang, labels["template"]), msg
		case k == "rules":
			d.RulesErr = msg
			link.Href, link.Label = "#rules-h", w.cat.text(lang, labels["rules"])
		case strings.HasPrefix(k, "rules."):
			rest := strings.TrimPrefix(k, "rules.")
			num, _, _ := strings.Cut(rest, ".")
			i, _ := strconv.Atoi(num)
			link.Label = fmt.Sprintf(w.cat.text(lang, "certs.rule_n"), i+1)
		case labels[k] != "":
			link.Label = w.cat.text(lang, labels[k])
		default:
			link.Label, link.Href = k, ""
		}
		d.Errors = append(d.Errors, link)
	}
	// The image shows the form as sent, unless the template or the fields
	// cannot be read or the template does not compile: then the problems
	// above say why there is no image.
	local := &form{Values: f.Values, Errors: map[string]string{}}
	def, _ := w.definitionOf(lang, local)
	if preview && len(local.Errors) == 0 && len(d.TemplateErrs) == 0 && len(d.FieldsErrs) == 0 {
		if draft, err := encodeDraft(def); err == nil && len(draft) <= maxDraftParam {
			d.PreviewURL = d.PreviewPost + "?d=" + draft
			d.PDFURL = d.PreviewURL + "&format=pdf"
		}
	}
	if bg := def.Template.Background; bg != "" {
		if list, err := w.cfg.Certify.Assets(r.Context(), p, a.Code); err == nil {
			i := slices.IndexFunc(list, func(as certify.Asset) bool { return as.Name == bg })
			d.PreviewNoBackground = i >= 0 && list[i].Kind == certify.AssetPDF
		}
	}
	if rep != nil {
		d.DryRun = w.dryRunView(lang, rep)
	}
	v := w.newView(r, d)
	v.Form = f
	w.render(rw, r, status, "cert_type", v)
}

func (w *Web) dryRunView(lang string, rep *rules.Report) *dryRunView {
	v := &dryRunView{Total: rep.Total, Passed: rep.Passed, Failed: rep.Failed}
	for name, n := range rep.ByRule {
		v.ByRule = append(v.ByRule, countRow{Name: name, N: n})
	}
	for name, n := range rep.ByField {
		v.ByField = append(v.ByField, countRow{Name: name, N: n})
	}
	byCount := func(x, y countRow) int {
		if x.N != y.N {
			return y.N - x.N
		}
		return strings.Compare(x.Name, y.Name)
	}
	slices.SortFunc(v.ByRule, byCount)
	slices.SortFunc(v.ByField, byCount)
	for i, row := range rep.Rows {
		if i == dryRunRowsShown {
			break
		}
		dr := dryRunRow{Line: row.Line}
		for _, fe := range row.Fields {
			dr.Reasons = append(dr.Reasons, fe.Field+": "+l10n.Translate(lang, fe.Message))
		}
		for _, fl := range row.Rules {
			dr.Reasons = append(dr.Reasons, fl.Rule+": "+l10n.Translate(lang, fl.Message))
		}
		v.Rows = append(v.Rows, dr)
	}
	v.More = rep.Failed - len(v.Rows)
	return v
}

// saveType saves a new type or a new version of one; the same form asks
// for the preview without JavaScript ("preview") and for a dry run of
// the rules on a CSV file ("dryrun").
func (w *Web) saveType(rw http.ResponseWriter, r *http.Request) {
	p, a := w.certUser(rw, r)
	if a == nil {
		return
	}
	ctx := r.Context()
	lang := w.lang(r)
	var saved *certify.CertType
	typeCode := r.PathValue("type")
	if typeCode != "" {
		var err error
		if saved, err = w.cfg.Certify.Type(ctx, p, a.Code, typeCode); err != nil {
			w.fail(rw, r, err)
			return
		}
	}
	r.Body = http.MaxBytesReader(rw, r.Body, maxEditorForm+maxDryRunCSV)
	if err := r.ParseMultipartForm(maxEditorForm); err != nil && !errors.Is(err, http.ErrNotMultipart) {
		w.errorPage(rw, r, http.StatusBadRequest, "error.invalid_title", "error.badform")
		return
	}
	if r.MultipartForm != nil {
		defer r.MultipartForm.RemoveAll()
	}
	f := formOf(r)
	def, rows := w.definitionOf(lang, f)
	switch r.PostForm.Get("do") {
	case "preview":
		var errsList []string
		if len(f.Errors) == 0 {
			errsList = w.previewProblems(lang, w.previewErr(ctx, p, a, def))
		}
		if len(f.Errors) > 0 {
			f.Message = w.cat.text(lang, "form.fix")
		}
		w.typePage(rw, r, p, a, saved, http.StatusOK, f, nil, len(errsList) == 0 && len(f.Errors) == 0, errsList)
		return
	case "dryrun":
		file, err := uploadedFile(r, "csv")
		if err != nil {
			f.Errors["csv"] = w.cat.text(lang, "fielderr.choose_file")
		}
		if len(f.Errors) > 0 {
			f.Message = w.cat.text(lang, "form.fix")
			w.typePage(rw, r, p, a, saved, http.StatusUnprocessableEntity, f, nil, true, nil)
			return
		}
		defer file.Close()
		rep, err := w.cfg.Certify.CheckRules(ctx, p, a.Code, def, io.LimitReader(file, maxDryRunCSV))
		if err != nil {
			if !w.typeProblems(lang, f, err, rows) {
				w.fail(rw, r, err)
				return
			}
			w.typePage(rw, r, p, a, saved, formStatus(err), f, nil, true, nil)
			return
		}
		w.typePage(rw, r, p, a, saved, http.StatusOK, f, rep, true, nil)
		return
	}
	if saved == nil {
		typeCode = strings.TrimSpace(f.Get("code"))
		if typeCode == "" {
			f.Errors["code"] = "is required"
		} else if _, err := w.cfg.Certify.Type(ctx, p, a.Code, typeCode); err == nil {
			f.Errors["code"] = "is taken"
		}
	}
	if len(f.Errors) > 0 {
		f.Message = w.cat.text(lang, "form.fix")
		w.typePage(rw, r, p, a, saved, http.StatusUnprocessableEntity, f, nil, true, nil)
		return
	}
	t, err := w.cfg.Certify.SaveType(ctx, p, a.Code, typeCode, def)
	if err != nil {
		if !w.typeProblems(lang, f, err, rows) {
			w.fail(rw, r, err)
			return
		}
		w.typePage(rw, r, p, a, saved, formStatus(err), f, nil, true, nil)
		return
	}
	w.setFlash(rw, "flash.cert_type_saved", strconv.Itoa(t.Version))
	seeOther(rw, r, certTypeURL(a, t.Code))
}

// archiveType keeps a type from new batches.
func (w *Web) archiveType(rw http.ResponseWriter, r *http.Request) {
	p, a := w.certUser(rw, r)
	if a == nil {
		return
	}
	if err := w.cfg.Certify.ArchiveType(r.Context(), p, a.Code, r.PathValue("type")); err != nil {
		w.fail(rw, r, err)
		return
	}
	w.setFlash(rw, "flash.cert_type_archived")
	seeOther(rw, r, certsURL(a))
}

// uploadedFile opens a file field of a parsed multipart form; a field
// without a file is an error.
func uploadedFile(r *http.Request, field string) (multipart.File, error) {
	if r.MultipartForm == nil || len(r.MultipartForm.File[field]) == 0 || r.MultipartForm.File[field][0].Filename == "" {
		return nil, http.ErrMissingFile
	}
	return r.MultipartForm.File[field][0].Open()
}

// ---- the preview ----

// encodeDraft packs a definition into a URL parameter: deflated JSON in
// base64url.
func encodeDraft(d certify.Definition) (string, error) {
	raw, err := json.Marshal(d)
	if err != nil {
		return "", err
	}
	var buf bytes.Buffer
	zw, _ := flate.NewWriter(&buf, flate.BestCompression)
	if _, err := zw.Write(raw); err != nil {
		return "", err
	}
	if err := zw.Close(); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(buf.Bytes()), nil
}

// decodeDraft unpacks encodeDraft's parameter.
func decodeDraft(s string) (certify.Definition, bool) {
	var d certify.Definition
	if s == "" || len(s) > maxDraftParam {
		return d, false
	}
	z, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return d, false
	}
	raw, err := io.ReadAll(io.LimitReader(flate.NewReader(bytes.NewReader(z)), maxDraftJSON+1))
	if err != nil || len(raw) > maxDraftJSON {
		return d, false
	}
	return d, json.Unmarshal(raw, &d) == nil
}

// forPreview fills in what a half-written definition lacks but a preview
// does not need: a name, and rules, which the preview does not run.
func forPreview(d certify.Definition) certify.Definition {
	if strings.TrimSpace(d.Name) == "" {
		d.Name = "—"
	}
	if strings.TrimSpace(d.Achievement.Name) == "" {
		d.Achievement.Name = "—"
	}
	d.Rules = nil
	return d
}

// previewErr renders a small preview only to learn whether the
// definition compiles.
func (w *Web) previewErr(ctx context.Context, p *identity.Principal, a *identity.Authority, d certify.Definition) error {
	_, err := w.cfg.Certify.Preview(ctx, p, a.Code, forPreview(d), "png", pdf.MinPreviewWidth)
	return err
}

// previewProblems words why a preview failed, one line a problem; an
// error that is not the definition's fault gives one general line.
func (w *Web) previewProblems(lang string, err error) []string {
	if err == nil {
		return nil
	}
	e := errs.As(err)
	if e == nil || (e.Kind != errs.Invalid && e.Kind != errs.Unsupported) {
		return []string{w.cat.text(lang, "certs.preview_failed")}
	}
	if len(e.Fields) == 0 {
		return []string{l10n.Translate(lang, e.Message)}
	}
	keys := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []string
	for _, k := range keys {
		out = append(out, strings.TrimPrefix(k, "template.")+": "+w.errText(lang, e.Fields[k]))
	}
	return out
}

// preview renders the definition in the URL (GET, the editor's image
// and its sample PDF link) or the editor's form (POST, the live preview)
// with sample data. A POST answers a PNG, whose X-Preview-Draft header
// carries the draft for the PDF link, or the problems that keep the
// definition from rendering as JSON: a half-typed template is the normal
// state of the editor, not a failed request, so that answer is a 200.
func (w *Web) preview(rw http.ResponseWriter, r *http.Request) {
	p, a := w.certUser(rw, r)
	if a == nil {
		return
	}
	lang := w.lang(r)
	format := "png"
	var d certify.Definition
	if r.Method == http.MethodPost {
		r.Body = http.MaxBytesReader(rw, r.Body, maxEditorForm)
		if err := r.ParseForm(); err != nil {
			previewJSON(rw, http.StatusBadRequest, []string{w.cat.text(lang, "error.badform")})
			return
		}
		f := formOf(r)
		d, _ = w.definitionOf(lang, f)
		for _, k := range []string{"template", "fields"} {
			if msg := f.Err(k); msg != "" {
				previewJSON(rw, http.StatusOK, []string{msg})
				return
			}
		}
	} else {
		var ok bool
		if d, ok = decodeDraft(r.URL.Query().Get("d")); !ok {
			w.errorPage(rw, r, http.StatusBadRequest, "error.invalid_title", "error.badform")
			return
		}
		if r.URL.Query().Get("format") == "pdf" {
			format = "pdf"
		}
	}
	out, err := w.cfg.Certify.Preview(r.Context(), p, a.Code, forPreview(d), format, previewWidth)
	if err != nil {
		if r.Method == http.MethodPost {
			status := http.StatusOK
			if k := errs.KindOf(err); k != errs.Invalid && k != errs.Unsupported {
				w.log.ErrorContext(r.Context(), "certificate preview failed", "request_id", requestID(r), "err", err)
				status = httpx.StatusOf(err)
			}
			previewJSON(rw, status, w.previewProblems(lang, err))
			return
		}
		w.fail(rw, r, err)
		return
	}
	h := rw.Header()
	if format == "pdf" {
		h.Set("Content-Type", "application/pdf")
		h.Set("Content-Disposition", `attachment; filename="sample.pdf"`)
	} else {
		h.Set("Content-Type", "image/png")
		// The editor says the preview lacks a PDF background.
		h.Set("X-Preview-Without-Background", strconv.FormatBool(out.WithoutBackground))
	}
	if r.Method == http.MethodPost {
		h.Set("Cache-Control", "no-store")
		if draft, err := encodeDraft(d); err == nil && len(draft) <= maxDraftParam {
			h.Set("X-Preview-Draft", draft)
		}
	} else {
		// The same draft renders the same until an asset changes.
		h.Set("Cache-Control", "private, max-age=60")
	}
	h.Set("Content-Length", strconv.Itoa(len(out.Data)))
	_, _ = rw.Write(out.Data)
}

// formStatus is the status of a page that shows a form again with the
// service's problems.
func formStatus(err error) int {
	switch errs.KindOf(err) {
	case errs.Conflict:
		return http.StatusConflict
	case errs.TooLarge:
		return http.StatusRequestEntityTooLarge
	case errs.Unsupported:
		return http.StatusUnsupportedMediaType
	}
	return http.StatusUnprocessableEntity
}

func previewJSON(rw http.ResponseWriter, status int, problems []string) {
	body, _ := json.Marshal(map[string][]string{"problems": problems})
	rw.Header().Set("Content-Type", "application/json")
	rw.Header().Set("Cache-Control", "no-store")
	rw.WriteHeader(status)
	_, _ = rw.Write(body)
}

// ---- assets ----

type assetRow struct {
	certify.Asset
	Href  string
	Image bool
	Label string // the link's text for a file not shown as an image
}

type assetsData struct {
	A       *identity.Authority
	CanEdit bool
	Assets  []assetRow
	Name    fieldView
	File    fieldView
}

func (w *Web) certAssets(rw http.ResponseWriter, r *http.Request) {
	p, a := w.certUser(rw, r)
	if a == nil {
		return
	}
	w.assetsPage(rw, r, p, a, http.StatusOK, emptyForm())
}

func (w *Web) assetsPage(rw http.ResponseWriter, r *http.Request, p *identity.Principal, a *identity.Authority, status int, f *form) {
	list, err := w.cfg.Certify.Assets(r.Context(), p, a.Code)
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	lang := w.lang(r)
	d := &assetsData{A: a, CanEdit: p.Has(a.ID, certAdmins...)}
	for _, as := range list {
		row := assetRow{Asset: as, Href: certsURL(a) + "/assets/" + url.PathEscape(as.Name) + "?v=" + as.SHA256[:12], Image: as.Kind == certify.AssetImage}
		switch as.Kind {
		case certify.AssetFont:
			row.Label = w.cat.text(lang, "certs.font")
		case certify.AssetPDF:
			row.Label = w.cat.text(lang, "certs.pdf_background")
		}
		d.Assets = append(d.Assets, row)
	}
	d.Name = w.certInput(lang, f, "name", "text", "certs.asset_name", "certs.asset_name_hint", false)
	d.File = w.certInput(lang, f, "file", "file", "certs.asset_file", "certs.asset_file_hint", true)
	v := w.newView(r, d)
	v.Form = f
	w.render(rw, r, status, "cert_assets", v)
}

// uploadAsset stores an image or a font under a name (the file's name
// without its extension, if none is given).
func (w *Web) uploadAsset(rw http.ResponseWriter, r *http.Request) {
	p, a := w.certUser(rw, r)
	if a == nil {
		return
	}
	lang := w.lang(r)
	f := emptyForm()
	if r.ContentLength > certify.MaxAssetBytes+64<<10 {
		f.Errors["file"] = fmt.Sprintf(w.cat.text(lang, "fielderr.file_too_large"), certify.MaxAssetBytes>>20)
		f.Message = w.cat.text(lang, "form.fix")
		w.assetsPage(rw, r, p, a, http.StatusRequestEntityTooLarge, f)
		return
	}
	r.Body = http.MaxBytesReader(rw, r.Body, certify.MaxAssetBytes+64<<10)
	file, hdr, err := r.FormFile("file")
	f.Values.Set("name", r.PostFormValue("name"))
	if err != nil {
		f.Errors["file"] = w.cat.text(lang, "fielderr.choose_file")
		f.Message = w.cat.text(lang, "form.fix")
		w.assetsPage(rw, r, p, a, http.StatusUnprocessableEntity, f)
		return
	}
	defer file.Close()
	name := strings.TrimSpace(f.Get("name"))
	if name == "" {
		name = hdr.Filename
		if i := strings.LastIndexByte(name, '.'); i > 0 {
			name = name[:i]
		}
	}
	if _, err := w.cfg.Certify.PutAsset(r.Context(), p, a.Code, name, file); err != nil {
		if !w.formProblems(lang, f, err) {
			w.fail(rw, r, err)
			return
		}
		if e := errs.As(err); len(e.Fields) == 0 {
			// A file that is not an image or a font, or too large.
			f.Errors["file"], f.Message = f.Message, w.cat.text(lang, "form.fix")
		}
		w.assetsPage(rw, r, p, a, formStatus(err), f)
		return
	}
	w.setFlash(rw, "flash.cert_asset_saved", name)
	seeOther(rw, r, certsURL(a)+"/assets")
}

// assetFile serves an asset: an image to show, a font to download.
func (w *Web) assetFile(rw http.ResponseWriter, r *http.Request) {
	p, a := w.certUser(rw, r)
	if a == nil {
		return
	}
	as, data, err := w.cfg.Certify.AssetData(r.Context(), p, a.Code, r.PathValue("name"))
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	h := rw.Header()
	h.Set("Content-Type", as.ContentType)
	h.Set("ETag", `"`+as.SHA256+`"`)
	h.Set("Cache-Control", "private, max-age=300")
	if as.Kind != certify.AssetImage {
		ext := ".ttf"
		if as.Kind == certify.AssetPDF {
			ext = ".pdf"
		}
		h.Set("Content-Disposition", `attachment; filename="`+strings.ReplaceAll(as.Name, ":", "-")+ext+`"`)
	}
	if etagMatch(r.Header.Get("If-None-Match"), `"`+as.SHA256+`"`) {
		rw.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Length", strconv.Itoa(len(data)))
	_, _ = rw.Write(data)
}

func (w *Web) deleteAsset(rw http.ResponseWriter, r *http.Request) {
	p, a := w.certUser(rw, r)
	if a == nil {
		return
	}
	name := r.PathValue("name")
	if err := w.cfg.Certify.DeleteAsset(r.Context(), p, a.Code, name); err != nil {
		w.fail(rw, r, err)
		return
	}
	w.setFlash(rw, "flash.cert_asset_deleted", name)
	seeOther(rw, r, certsURL(a)+"/assets")
}

// ---- new batch ----

type batchNewData struct {
	A       *identity.Authority
	Types   []option
	Type    string
	TypeErr string
	Exams   []option // the authority's exams; none: the exam is a number
	ExamID  string
	ExamErr string
	Name    fieldView
	Source  fieldView
	ExamNo  fieldView
	File    fieldView
	Errors  []errLink
}

func (w *Web) newBatch(rw http.ResponseWriter, r *http.Request) {
	p, a := w.certUser(rw, r)
	if a == nil {
		return
	}
	f := emptyForm()
	f.Values.Set("type", r.URL.Query().Get("type"))
	w.newBatchPage(rw, r, p, a, http.StatusOK, f)
}

func (w *Web) newBatchPage(rw http.ResponseWriter, r *http.Request, p *identity.Principal, a *identity.Authority, status int, f *form) {
	ctx := r.Context()
	lang := w.lang(r)
	types, err := w.cfg.Certify.Types(ctx, p, a.Code)
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	d := &batchNewData{A: a, Type: f.Get("type"), ExamID: f.Get("exam_id")}
	for _, t := range types {
		if !t.Archived {
			d.Types = append(d.Types, option{Value: t.Code, Label: t.Definition.Name + " (" + t.Code + ", v" + strconv.Itoa(t.Version) + ")"})
		}
	}
	if exams, err := w.cfg.Bank.WatchedExams(ctx, p, a.Code); err == nil {
		for _, e := range exams {
			d.Exams = append(d.Exams, option{Value: strconv.FormatInt(e.ID, 10), Label: fmt.Sprintf("%s (#%d)", e.Title, e.ID)})
		}
	}
	d.Name = w.certInput(lang, f, "name", "text", "certs.batch_name", "certs.batch_name_hint", false)
	d.Source = w.certInput(lang, f, "source", "text", "certs.source", "certs.source_hint", false)
	d.ExamNo = w.certInput(lang, f, "exam_id", "text", "certs.exam", "certs.exam_hint", false)
	d.ExamNo.Mode = "numeric"
	d.File = w.certInput(lang, f, "csv", "file", "certs.batch_file", "certs.batch_file_hint", false)
	d.TypeErr = w.errText(lang, f.Err("type"))
	d.ExamErr = w.errText(lang, f.Err("exam_id"))
	labels := map[string]string{"type": "certs.type", "name": "certs.batch_name", "source": "certs.source", "exam_id": "certs.exam", "csv": "certs.batch_file"}
	keys := make([]string, 0, len(f.Errors))
	for k := range f.Errors {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		label := k
		if key, ok := labels[k]; ok {
			label = w.cat.text(lang, key)
		}
		d.Errors = append(d.Errors, errLink{Href: "#f-" + k, Label: label, Message: w.errText(lang, f.Errors[k])})
	}
	v := w.newView(r, d)
	v.Form = f
	w.render(rw, r, status, "cert_batch_new", v)
}

// createBatch checks a CSV file or an exam's results against a type and
// stores the batch for an approver; its page shows what was rejected.
func (w *Web) createBatch(rw http.ResponseWriter, r *http.Request) {
	p, a := w.certUser(rw, r)
	if a == nil {
		return
	}
	lang := w.lang(r)
	r.Body = http.MaxBytesReader(rw, r.Body, certify.MaxBatchBytes+64<<10)
	if err := r.ParseMultipartForm(1 << 20); err != nil && !errors.Is(err, http.ErrNotMultipart) {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			f := emptyForm()
			f.Errors["csv"] = fmt.Sprintf(w.cat.text(lang, "fielderr.file_too_large"), certify.MaxBatchBytes>>20)
			f.Message = w.cat.text(lang, "form.fix")
			w.newBatchPage(rw, r, p, a, http.StatusRequestEntityTooLarge, f)
			return
		}
		w.errorPage(rw, r, http.StatusBadRequest, "error.invalid_title", "error.badform")
		return
	}
	if r.MultipartForm != nil {
		defer r.MultipartForm.RemoveAll()
	}
	f := formOf(r)
	in := certify.BatchInput{Type: f.Get("type"), Name: f.Get("name"), Source: f.Get("source")}
	if s := strings.TrimSpace(f.Get("exam_id")); s != "" {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			f.Errors["exam_id"] = w.cat.text(lang, "fielderr.whole_number")
		}
		in.ExamID = id
	}
	if file, err := uploadedFile(r, "csv"); err == nil {
		defer file.Close()
		in.CSV = file
	}
	if in.Type == "" {
		f.Errors["type"] = "is required"
	}
	if len(f.Errors) > 0 {
		f.Message = w.cat.text(lang, "form.fix")
		w.newBatchPage(rw, r, p, a, http.StatusUnprocessableEntity, f)
		return
	}
	b, err := w.cfg.Certify.CreateBatch(r.Context(), p, a.Code, in)
	if err != nil {
		if errs.Is(err, errs.NotFound) {
			err = &errs.Error{Kind: errs.Invalid, Op: "web: create batch", Message: errs.As(err).Message, Fields: map[string]string{"type": errs.As(err).Message}}
		}
		if !w.formProblems(lang, f, err) {
			w.fail(rw, r, err)
			return
		}
		if e := errs.As(err); len(e.Fields) == 0 && in.CSV != nil {
			// The file itself could not be read: say so next to it.
			f.Errors["csv"], f.Message = f.Message, w.cat.text(lang, "form.fix")
		}
		w.newBatchPage(rw, r, p, a, formStatus(err), f)
		return
	}
	w.setFlash(rw, "flash.cert_batch_created", fmt.Sprintf("%d / %d", b.Valid, b.Rejected))
	seeOther(rw, r, batchURL(a, b.ID))
}

// ---- a batch ----

type batchRowView struct {
	Row      int
	HolderID string
	Problems []string
	DocID    string
	Cells    []string
}

type batchData struct {
	A         *identity.Authority
	B         batchRow
	Maker     string
	Approver  string
	Final     bool
	Refresh   bool // issuing: the page reloads itself without JavaScript
	Events    string
	CanDecide bool
	// IsMaker and NotApprover say why an approver's buttons are absent.
	IsMaker     bool
	NotApprover bool
	CanPause    bool
	CanResume   bool
	CanCancel   bool
	Note        fieldView
	Message     string
	Rejected    []batchRowView
	NextRej     string
	FirstRej    string
	Columns     []string
	Samples     []batchRowView
	SamplesOf   string // the row state the samples are in
}

func batchID(r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	return id, err == nil && id > 0
}

func (w *Web) batch(rw http.ResponseWriter, r *http.Request) {
	p, a := w.certUser(rw, r)
	if a == nil {
		return
	}
	id, ok := batchID(r)
	if !ok {
		w.notFound(rw, r)
		return
	}
	w.batchPage(rw, r, p, a, id, http.StatusOK, emptyForm())
}

func (w *Web) batchPage(rw http.ResponseWriter, r *http.Request, p *identity.Principal, a *identity.Authority, id int64, status int, f *form) {
	ctx := r.Context()
	lang := w.lang(r)
	c := w.cfg.Certify
	b, err := c.Batch(ctx, p, a.Code, id)
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	d := &batchData{A: a, B: batchRowOf(*b), Final: finalBatch(b.State), Refresh: b.State == certify.BatchIssuing,
		Events: batchURL(a, id) + "/events", Message: f.Message}
	d.Maker = b.MakerName
	d.Approver = b.ApproverName
	if b.State == certify.BatchPending {
		approver := p.Has(a.ID, certApprovers...)
		d.IsMaker = approver && b.MakerID == p.User.ID
		d.NotApprover = !approver
		d.CanDecide = approver && !d.IsMaker
	}
	d.CanPause = b.State == certify.BatchIssuing
	d.CanResume = b.State == certify.BatchPaused
	d.CanCancel = b.State == certify.BatchPending || b.State == certify.BatchIssuing || b.State == certify.BatchPaused
	d.Note = w.certInput(lang, f, "note", "text", "certs.note", "certs.note_hint", false)

	after, _ := strconv.Atoi(r.URL.Query().Get("after"))
	rejected, err := c.BatchRows(ctx, p, a.Code, id, certify.RowRejected, max(after, 0), rejectedPerPage)
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	for _, row := range rejected {
		d.Rejected = append(d.Rejected, w.rowView(lang, row))
	}
	if len(rejected) == rejectedPerPage {
		d.NextRej = batchURL(a, id) + "?after=" + strconv.Itoa(rejected[len(rejected)-1].Row) + "#rejected-h"
	}
	if after > 0 {
		d.FirstRej = batchURL(a, id) + "#rejected-h"
	}
	// The approver's check: the first rows as they will be issued, or
	// were.
	d.SamplesOf = certify.RowValid
	if b.Issued > 0 {
		d.SamplesOf = certify.RowIssued
	}
	samples, err := c.BatchRows(ctx, p, a.Code, id, d.SamplesOf, 0, samplesShown)
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	cols := map[string]bool{}
	for _, row := range samples {
		for k := range row.Data {
			cols[k] = true
		}
	}
	for k := range cols {
		if k != certify.FieldHolderID && k != certify.FieldHolderName {
			d.Columns = append(d.Columns, k)
		}
	}
	sort.Strings(d.Columns)
	d.Columns = append([]string{certify.FieldHolderID, certify.FieldHolderName}, d.Columns...)
	for _, row := range samples {
		rv := w.rowView(lang, row)
		for _, col := range d.Columns {
			rv.Cells = append(rv.Cells, row.Data[col])
		}
		d.Samples = append(d.Samples, rv)
	}
	v := w.newView(r, d)
	v.Form = f
	w.render(rw, r, status, "cert_batch", v)
}

func (w *Web) rowView(lang string, row certify.BatchRow) batchRowView {
	rv := batchRowView{Row: row.Row, HolderID: row.HolderID, DocID: row.DocID}
	for _, pr := range row.Problems {
		rv.Problems = append(rv.Problems, l10n.TranslateLabelled(lang, pr))
	}
	return rv
}

// batchAction decides, pauses, resumes or cancels a batch.
func (w *Web) batchAction(rw http.ResponseWriter, r *http.Request) {
	p, a := w.certUser(rw, r)
	if a == nil || !w.parseForm(rw, r) {
		return
	}
	id, ok := batchID(r)
	if !ok {
		w.notFound(rw, r)
		return
	}
	ctx := r.Context()
	c := w.cfg.Certify
	f := formOf(r)
	var err error
	flash := ""
	switch r.PathValue("action") {
	case "approve":
		_, err = c.Decide(ctx, p, a.Code, id, true, f.Get("note"))
		flash = "flash.cert_batch_approved"
	case "decline":
		_, err = c.Decide(ctx, p, a.Code, id, false, f.Get("note"))
		flash = "flash.cert_batch_declined"
	case "pause":
		_, err = c.Pause(ctx, p, a.Code, id)
		flash = "flash.cert_batch_paused"
	case "resume":
		_, err = c.Resume(ctx, p, a.Code, id)
		flash = "flash.cert_batch_resumed"
	case "cancel":
		_, err = c.Cancel(ctx, p, a.Code, id)
		flash = "flash.cert_batch_cancelled"
	default:
		w.notFound(rw, r)
		return
	}
	if err != nil {
		lang := w.lang(r)
		e := errs.As(err)
		switch {
		case e != nil && e.Code == certify.CodeOwnBatch:
			f.Message = w.cat.text(lang, "certs.own_batch")
			w.batchPage(rw, r, p, a, id, http.StatusForbidden, f)
		case w.formProblems(lang, f, err):
			w.batchPage(rw, r, p, a, id, formStatus(err), f)
		default:
			w.fail(rw, r, err)
		}
		return
	}
	w.setFlash(rw, flash)
	seeOther(rw, r, batchURL(a, id))
}

// rejections sends a batch's rejected and failed rows as CSV.
func (w *Web) rejections(rw http.ResponseWriter, r *http.Request) {
	p, a := w.certUser(rw, r)
	if a == nil {
		return
	}
	id, ok := batchID(r)
	if !ok {
		w.notFound(rw, r)
		return
	}
	if _, err := w.cfg.Certify.Batch(r.Context(), p, a.Code, id); err != nil {
		w.fail(rw, r, err)
		return
	}
	err := httpx.Download(rw, r, w.log, "text/csv; charset=utf-8", fmt.Sprintf("batch-%d-rejected.csv", id), func(out io.Writer) error {
		lang := w.lang(r)
		return w.cfg.Certify.WriteRejections(r.Context(), p, a.Code, id, out, func(msg string) string { return l10n.TranslateLabelled(lang, msg) })
	})
	if err != nil {
		w.fail(rw, r, err)
	}
}

// progressEvent is what the batch's event stream sends.
type progressEvent struct {
	State      string `json:"state"`
	StateLabel string `json:"state_label"`
	Total      int    `json:"total"`
	Valid      int    `json:"valid"`
	Rejected   int    `json:"rejected"`
	Issued     int    `json:"issued"`
	Failed     int    `json:"failed"`
	Remaining  int    `json:"remaining"`
	Percent    int    `json:"percent"`
	Final      bool   `json:"final"`
}

// Timing of the batch's event stream.
const (
	eventPoll      = time.Second
	eventKeepAlive = 15 * time.Second
	eventMaxStream = 10 * time.Minute // then the browser reconnects
)

// batchEvents streams a batch's progress as server-sent events: an
// "event: progress" with its counts whenever they change, polled every
// second, until the batch can no longer change or the client goes.
func (w *Web) batchEvents(rw http.ResponseWriter, r *http.Request) {
	p, a := w.certUser(rw, r)
	if a == nil {
		return
	}
	id, ok := batchID(r)
	if !ok {
		w.notFound(rw, r)
		return
	}
	ctx := r.Context()
	c := w.cfg.Certify
	b, err := c.Batch(ctx, p, a.Code, id)
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	lang := w.lang(r)
	rc := http.NewResponseController(rw)
	h := rw.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	rw.WriteHeader(http.StatusOK)
	send := func(s string) bool {
		// The server's write timeout would cut a long stream.
		_ = rc.SetWriteDeadline(time.Now().Add(eventKeepAlive + 30*time.Second))
		if _, err := io.WriteString(rw, s); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	if !send("retry: 3000\n\n") {
		return
	}
	tick := time.NewTicker(eventPoll)
	defer tick.Stop()
	end := time.Now().Add(eventMaxStream)
	last, quiet := "", time.Now()
	for {
		row := batchRowOf(*b)
		ev := progressEvent{State: b.State, StateLabel: w.cat.text(lang, batchStateKeys[b.State]), Total: b.Total, Valid: b.Valid, Rejected: b.Rejected,
			Issued: b.Issued, Failed: b.Failed, Remaining: b.Remaining(), Percent: row.Percent, Final: finalBatch(b.State)}
		msg, _ := json.Marshal(ev)
		switch {
		case string(msg) != last:
			if !send("event: progress\ndata: " + string(msg) + "\n\n") {
				return
			}
			last, quiet = string(msg), time.Now()
		case time.Since(quiet) >= eventKeepAlive:
			if !send(": keep-alive\n\n") {
				return
			}
			quiet = time.Now()
		}
		if ev.Final || time.Now().After(end) {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if b, err = c.Batch(ctx, p, a.Code, id); err != nil {
			if ctx.Err() == nil {
				w.log.WarnContext(ctx, "batch events stopped", "request_id", requestID(r), "batch", id, "err", err)
			}
			return
		}
	}
}

// ---- a certificate ----

type dataRow struct {
	Name, Label, Value string
}

type certificateData struct {
	A         *identity.Authority
	C         *certify.Certificate
	Status    string
	CanEdit   bool
	Rows      []dataRow
	Reason    fieldView
	Reissue   []fieldView
	ReReason  fieldView
	RevokeMsg string
	FixMsg    string
	Errors    []errLink
}

func (w *Web) certificate(rw http.ResponseWriter, r *http.Request) {
	p, a := w.certUser(rw, r)
	if a == nil {
		return
	}
	w.certificatePage(rw, r, p, a, http.StatusOK, nil, nil)
}

// certificatePage shows a certificate; revoke and fix are the forms just
// sent, if any.
func (w *Web) certificatePage(rw http.ResponseWriter, r *http.Request, p *identity.Principal, a *identity.Authority, status int, revoke, fix *form) {
	ctx := r.Context()
	lang := w.lang(r)
	c, err := w.cfg.Certify.Certificate(ctx, p, a.Code, r.PathValue("doc"))
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	d := &certificateData{A: a, C: c, CanEdit: p.Has(a.ID, certAdmins...)}
	switch {
	case c.ReplacedBy != "":
		d.Status = certify.StatusReplaced
	case c.RevokedAt != nil:
		d.Status = certify.StatusRevoked
	case c.ValidUntil != nil && time.Now().After(*c.ValidUntil):
		d.Status = certify.StatusExpired
	default:
		d.Status = certify.StatusValid
	}
	// The type's fields give the data its labels and order, and are what
	// a correction may change.
	var fields []certify.FieldDef
	if t, err := w.cfg.Certify.Type(ctx, p, a.Code, c.Type); err == nil {
		fields = t.Definition.Fields
	}
	seen := map[string]bool{}
	for _, fd := range fields {
		if v, ok := c.Data[fd.Name]; ok {
			d.Rows = append(d.Rows, dataRow{Name: fd.Name, Label: fd.Label, Value: v})
			seen[fd.Name] = true
		}
	}
	var rest []string
	for k := range c.Data {
		if !seen[k] {
			rest = append(rest, k)
		}
	}
	sort.Strings(rest)
	for _, k := range rest {
		d.Rows = append(d.Rows, dataRow{Name: k, Label: k, Value: c.Data[k]})
	}
	if revoke == nil {
		revoke = emptyForm()
	}
	if fix == nil {
		fix = emptyForm()
		for k, v := range c.Data {
			fix.Values.Set("data."+k, v)
		}
	}
	d.Reason = w.certInput(lang, revoke, "reason", "text", "certs.revoke_reason", "", true)
	// Both forms have a reason; the ids must differ.
	d.Reason.ID = "f-revoke-reason"
	if d.Reason.Err != "" {
		d.Reason.Describedby = d.Reason.ID + "-err"
	}
	d.RevokeMsg = revoke.Message
	d.ReReason = w.certInput(lang, fix, "reason", "text", "certs.reissue_reason", "", true)
	d.FixMsg = fix.Message
	for _, fd := range fields {
		if fd.Name == certify.FieldHolderID {
			continue
		}
		fv := w.certInput(lang, fix, "data."+fd.Name, "text", "", "", fd.Required)
		fv.Label = fd.Label + " (" + fd.Name + ")"
		if msg := fix.Err(fd.Name); msg != "" {
			fv.Err = w.errText(lang, msg)
			fv.Describedby = fv.ID + "-err"
		}
		d.Reissue = append(d.Reissue, fv)
	}
	if msg := fix.Err("rules"); msg != "" {
		d.Errors = append(d.Errors, errLink{Label: w.cat.text(lang, "certs.rules"), Message: w.errText(lang, msg)})
	}
	v := w.newView(r, d)
	w.render(rw, r, status, "cert_certificate", v)
}

// certificateFile sends a certificate's PDF or signed credential.
func (w *Web) certificateFile(rw http.ResponseWriter, r *http.Request) {
	p, a := w.certUser(rw, r)
	if a == nil {
		return
	}
	kind := r.PathValue("kind")
	doc := strings.ToUpper(r.PathValue("doc"))
	data, err := w.cfg.Certify.CertificateFile(r.Context(), p, a.Code, doc, kind)
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	ctype, name := "application/pdf", doc+".pdf"
	if kind == "json" {
		ctype, name = "application/vc+ld+json", doc+".json"
	}
	err = httpx.Download(rw, r, w.log, ctype, name, func(out io.Writer) error {
		_, err := out.Write(data)
		return err
	})
	if err != nil {
		w.fail(rw, r, err)
	}
}

// revokeCertificate withdraws a certificate with a reason.
func (w *Web) revokeCertificate(rw http.ResponseWriter, r *http.Request) {
	p, a := w.certUser(rw, r)
	if a == nil || !w.parseForm(rw, r) {
		return
	}
	f := formOf(r)
	c, err := w.cfg.Certify.Revoke(r.Context(), p, a.Code, r.PathValue("doc"), f.Get("reason"))
	if err != nil {
		if !w.formProblems(w.lang(r), f, err) {
			w.fail(rw, r, err)
			return
		}
		w.certificatePage(rw, r, p, a, formStatus(err), f, nil)
		return
	}
	w.setFlash(rw, "flash.cert_revoked", c.DocID)
	seeOther(rw, r, certURL(a, c.DocID))
}

// reissueCertificate issues a corrected certificate in place of one:
// the fields that changed, and why.
func (w *Web) reissueCertificate(rw http.ResponseWriter, r *http.Request) {
	p, a := w.certUser(rw, r)
	if a == nil || !w.parseForm(rw, r) {
		return
	}
	ctx := r.Context()
	old, err := w.cfg.Certify.Certificate(ctx, p, a.Code, r.PathValue("doc"))
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	f := formOf(r)
	changes := map[string]string{}
	for k, vs := range r.PostForm {
		name, ok := strings.CutPrefix(k, "data.")
		if !ok || len(vs) == 0 {
			continue
		}
		if v := strings.TrimSpace(vs[0]); v != old.Data[name] {
			changes[name] = v
		}
	}
	c, err := w.cfg.Certify.Reissue(ctx, p, a.Code, old.DocID, changes, f.Get("reason"))
	if err != nil {
		if !w.formProblems(w.lang(r), f, err) {
			w.fail(rw, r, err)
			return
		}
		w.certificatePage(rw, r, p, a, formStatus(err), nil, f)
		return
	}
	w.setFlash(rw, "flash.cert_reissued", c.DocID)
	seeOther(rw, r, certURL(a, c.DocID))
}
