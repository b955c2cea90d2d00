package web

import (
	"html/template"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/vidya-edu/vidya/internal/assess"
	"github.com/vidya-edu/vidya/internal/assess/formats"
	"github.com/vidya-edu/vidya/internal/assess/render"
	"github.com/vidya-edu/vidya/internal/identity"
	"github.com/vidya-edu/vidya/internal/platform/errs"
	"github.com/vidya-edu/vidya/internal/platform/httpx"
	"github.com/vidya-edu/vidya/internal/platform/l10n"
)

// Who sees which item bank controls. The bank service decides; these only
// choose which links and buttons to show.
var (
	bankReaders    = []identity.Role{identity.RoleAdmin, identity.RoleAuthor, identity.RoleGrader, identity.RoleApprover}
	bankWriters    = []identity.Role{identity.RoleAdmin, identity.RoleAuthor}
	bankReviewers  = []identity.Role{identity.RoleAdmin, identity.RoleAuthor, identity.RoleApprover}
	bankPublishers = []identity.Role{identity.RoleAdmin, identity.RoleApprover}
)

// Catalogue keys of the bank's values, written out so the catalogue test
// sees them used.
var (
	typeKeys = map[assess.ItemType]string{
		assess.SingleChoice: "itemtype.single_choice", assess.MultipleResponse: "itemtype.multiple_response",
		assess.TrueFalse: "itemtype.true_false", assess.Numeric: "itemtype.numeric", assess.ShortText: "itemtype.short_text",
		assess.Ordering: "itemtype.ordering", assess.Matching: "itemtype.matching", assess.Essay: "itemtype.essay",
	}
	statusKeys = map[assess.Status]string{
		assess.Draft: "itemstatus.draft", assess.Reviewed: "itemstatus.reviewed",
		assess.Published: "itemstatus.published", assess.Retired: "itemstatus.retired",
	}
	statusActionKeys = map[assess.Status]string{
		assess.Draft: "item.to_draft", assess.Reviewed: "item.to_reviewed",
		assess.Published: "item.to_published", assess.Retired: "item.to_retired",
	}
	difficultyKeys = map[string]string{"easy": "difficulty.easy", "medium": "difficulty.medium", "hard": "difficulty.hard"}
	outcomeKeys    = map[string]string{
		assess.Imported: "import.outcome_imported", assess.Updated: "import.outcome_updated",
		assess.Duplicate: "import.outcome_duplicate", assess.Rejected: "import.outcome_rejected",
	}
)

// itemsPerPage keeps a full Hindi list page under the 15 KB budget.
const itemsPerPage = 20

// maxItemForm bounds an item editor form: two languages of stem,
// explanation and choices at their limits.
const maxItemForm = 512 << 10

type itemRow struct {
	ID      int64
	Title   string
	Type    assess.ItemType
	Status  assess.Status
	Topic   string
	Version int
}

type itemsData struct {
	A            *identity.Authority
	Items        []itemRow
	Next, First  string
	Back         string // this page's URL, for the bulk form to return to
	CanWrite     bool
	CanPublish   bool
	Types        []assess.ItemType
	Statuses     []assess.Status
	Difficulties []string
	Languages    []langLink
	Filter       *form
	// FilterNames are the filter fields an export carries over.
	FilterNames []string
}

// bankUser is the signed-in caller and the authority of an item bank page
// they may read; on nil the response has been written (sign-in redirect,
// 404 or 403).
func (w *Web) bankUser(rw http.ResponseWriter, r *http.Request) (*identity.Principal, *identity.Authority) {
	p := w.user(rw, r)
	if p == nil {
		return nil, nil
	}
	return p, w.bankAuthority(rw, r, p)
}

// bankAuthority resolves the authority for an item bank page and checks the
// caller may read the bank; a missing or foreign authority is the 404 page.
func (w *Web) bankAuthority(rw http.ResponseWriter, r *http.Request, p *identity.Principal) *identity.Authority {
	a, err := w.svc.Authority(r.Context(), p, r.PathValue("code"))
	if err != nil {
		w.fail(rw, r, err)
		return nil
	}
	if !p.Has(a.ID, bankReaders...) {
		w.fail(rw, r, errs.E(errs.Forbidden, "web: item bank", "no role in the item bank"))
		return nil
	}
	return a
}

func bankURL(a *identity.Authority) string { return "/a/" + url.PathEscape(a.Code) + "/items" }

var labelMarks = strings.NewReplacer(`\$`, "$", "$$", "", "$", "", "**", "", "__", "", "`", "")

// itemLabel is what a list shows of an item: its title, or the first line
// of its stem in lang (else any language), cut to 60 characters.
func itemLabel(it *assess.Item, lang string) string {
	if it.Title != "" {
		return it.Title
	}
	t, ok := it.Text[lang]
	if !ok {
		for _, l := range assess.Languages {
			if t, ok = it.Text[l]; ok {
				break
			}
		}
	}
	line, _, _ := strings.Cut(strings.TrimSpace(t.Stem), "\n")
	// A label is plain text: drop the maths and emphasis markers, so
	// "$x^2$" reads as x^2 rather than showing its delimiters.
	line = labelMarks.Replace(line)
	if utf8.RuneCountInString(line) > 60 {
		line = string([]rune(line)[:59]) + "…"
	}
	return line
}

func (w *Web) items(rw http.ResponseWriter, r *http.Request) {
	p, a := w.bankUser(rw, r)
	if a == nil {
		return
	}
	q := r.URL.Query()
	f := assess.ItemFilter{Text: q.Get("q"), Type: assess.ItemType(q.Get("type")), Status: assess.Status(q.Get("status")), Topic: q.Get("topic"),
		Difficulty: q.Get("difficulty"), Language: q.Get("language"), After: q.Get("after"), Limit: itemsPerPage}
	filter := &form{Values: q, Errors: map[string]string{}}
	status := http.StatusOK
	list, next, err := w.cfg.Bank.ListItems(r.Context(), p, a.Code, f)
	if err != nil {
		if !w.invalid(filter, w.lang(r), err) {
			w.fail(rw, r, err)
			return
		}
		status = http.StatusUnprocessableEntity
	}
	lang := w.lang(r)
	d := itemsData{A: a, FilterNames: exportFilters, CanWrite: p.Has(a.ID, bankWriters...), CanPublish: p.Has(a.ID, bankPublishers...),
		Types: assess.ItemTypes, Statuses: assess.Statuses, Difficulties: assess.Difficulties, Filter: filter}
	for _, l := range assess.Languages {
		d.Languages = append(d.Languages, langLink{Code: l, Name: langNames[l]})
	}
	for i := range list {
		it := &list[i]
		d.Items = append(d.Items, itemRow{ID: it.ID, Title: itemLabel(it, lang), Type: it.Type, Status: it.Status, Topic: it.Tags.Topic, Version: it.Version})
	}
	base := bankURL(a)
	keep := url.Values{}
	for _, k := range []string{"q", "type", "status", "topic", "difficulty", "language"} {
		if v := q.Get(k); v != "" {
			keep.Set(k, v)
		}
	}
	if next != "" {
		nq := url.Values{}
		for k, v := range keep {
			nq[k] = v
		}
		nq.Set("after", next)
		d.Next = base + "?" + nq.Encode()
	}
	if f.After != "" {
		d.First = base
		if len(keep) > 0 {
			d.First += "?" + keep.Encode()
		}
	}
	d.Back = r.URL.RequestURI()
	w.render(rw, r, status, "items", w.newView(r, d))
}

// backTo returns a safe place in this authority's bank to return to.
func backTo(a *identity.Authority, next string) string {
	if strings.HasPrefix(next, bankURL(a)) && !strings.ContainsAny(next, "\\\r\n") {
		return next
	}
	return bankURL(a)
}

func (w *Web) bulkItems(rw http.ResponseWriter, r *http.Request) {
	p := w.user(rw, r)
	if p == nil || !w.parseForm(rw, r) {
		return
	}
	a := w.bankAuthority(rw, r, p)
	if a == nil {
		return
	}
	c := assess.BulkChange{Retire: r.PostForm.Get("action") == "retire"}
	for _, s := range r.PostForm["ids"] {
		if id, err := strconv.ParseInt(s, 10, 64); err == nil {
			c.IDs = append(c.IDs, id)
		}
	}
	if !c.Retire {
		if v := strings.TrimSpace(r.PostForm.Get("topic")); v != "" {
			c.Topic = &v
		}
		if v := r.PostForm.Get("difficulty"); v != "" {
			c.Difficulty = &v
		}
		if v := strings.TrimSpace(r.PostForm.Get("label")); v != "" {
			c.AddLabels = []string{v}
		}
	}
	back := backTo(a, r.PostForm.Get("back"))
	n, err := w.cfg.Bank.Bulk(r.Context(), p, a.Code, c)
	if err != nil {
		e := errs.As(err)
		if errs.KindOf(err) != errs.Invalid || e == nil {
			w.fail(rw, r, err)
			return
		}
		lang := w.lang(r)
		msg := l10n.Translate(lang, e.Message)
		for _, k := range slices.Sorted(mapKeys(e.Fields)) {
			msg = k + ": " + l10n.Translate(lang, e.Fields[k])
			break
		}
		w.setFlash(rw, "flash.bulk_failed", msg)
		seeOther(rw, r, back)
		return
	}
	w.setFlash(rw, "flash.bulk_done", strconv.Itoa(n))
	seeOther(rw, r, back)
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// ---- one item ----

// choiceView is one choice as a candidate sees it, with its key for staff.
type choiceView struct {
	Letter  string
	ID      string
	HTML    template.HTML
	Correct bool
	Fixed   bool
	Order   int // 1-based place in the correct order (ordering items)
}

// previewView is an item in one language, rendered.
type previewView struct {
	Lang        string
	Type        assess.ItemType
	Stem        template.HTML
	Choices     []choiceView
	Left, Right []choiceView
	Explanation template.HTML
	TrueFalse   bool
	// Key lists the correct choices' letters (or ids), in order for
	// ordering items.
	Key []string
}

// letters label choices in order, as printed papers do.
const letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

func preview(it *assess.Item, lang string) previewView {
	t := it.Text[lang]
	pv := previewView{Lang: lang, Type: it.Type, Stem: render.Markdown(t.Stem), Explanation: render.Markdown(t.Explanation), TrueFalse: it.Type == assess.TrueFalse}
	for i, c := range it.Choices {
		cv := choiceView{ID: c.ID, HTML: render.Markdown(t.Choices[c.ID]), Fixed: c.Fixed, Correct: slices.Contains(it.Key.Choices, c.ID)}
		if i < len(letters) {
			cv.Letter = letters[i : i+1]
		}
		if it.Type == assess.Ordering {
			cv.Order = slices.Index(it.Key.Choices, c.ID) + 1
			cv.Correct = false
		}
		pv.Choices = append(pv.Choices, cv)
	}
	for _, id := range it.Key.Choices {
		k := id
		if i := slices.IndexFunc(pv.Choices, func(c choiceView) bool { return c.ID == id }); i >= 0 && pv.Choices[i].Letter != "" && !pv.TrueFalse {
			k = pv.Choices[i].Letter
		}
		pv.Key = append(pv.Key, k)
	}
	for i, id := range it.Left {
		pv.Left = append(pv.Left, choiceView{Letter: strconv.Itoa(i + 1), ID: id, HTML: render.Markdown(t.Left[id])})
	}
	for i, id := range it.Right {
		cv := choiceView{ID: id, HTML: render.Markdown(t.Right[id])}
		if i < len(letters) {
			cv.Letter = letters[i : i+1]
		}
		pv.Right = append(pv.Right, cv)
	}
	return pv
}

// itemLangs lists the languages an item is written in, in the bank's order.
func itemLangs(it *assess.Item) []string {
	var out []string
	for _, l := range assess.Languages {
		if _, ok := it.Text[l]; ok {
			out = append(out, l)
		}
	}
	return out
}

// pickLang chooses the preview language: the one asked for, else the
// page's, else the item's first.
func pickLang(langs []string, asked, page string) string {
	if slices.Contains(langs, asked) {
		return asked
	}
	if slices.Contains(langs, page) {
		return page
	}
	if len(langs) > 0 {
		return langs[0]
	}
	return page
}

type pairView struct{ Left, Right string }

type itemData struct {
	A        *identity.Authority
	It       *assess.Item
	Label    string
	Langs    []langLink // the preview language toggle
	Preview  previewView
	Pairs    []pairView
	Accepted []string
	History  []assess.HistoryEntry
	Current  bool // the current version, not an old one
	CanEdit  bool
	Actions  []assess.Status
}

func (w *Web) item(rw http.ResponseWriter, r *http.Request) {
	p := w.user(rw, r)
	if p == nil {
		return
	}
	w.itemPage(rw, r, p, http.StatusOK, nil)
}

func (w *Web) itemPage(rw http.ResponseWriter, r *http.Request, p *identity.Principal, status int, f *form) {
	a := w.bankAuthority(rw, r, p)
	if a == nil {
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		w.notFound(rw, r)
		return
	}
	version, _ := strconv.Atoi(r.URL.Query().Get("version"))
	it, err := w.cfg.Bank.Item(r.Context(), p, a.Code, id, max(version, 0))
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	hist, err := w.cfg.Bank.History(r.Context(), p, a.Code, id)
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	langs := itemLangs(it)
	lang := pickLang(langs, r.URL.Query().Get("lang"), w.lang(r))
	d := itemData{A: a, It: it, Label: itemLabel(it, lang), Preview: preview(it, lang), History: hist, Current: it.Revision > 0,
		CanEdit: p.Has(a.ID, bankWriters...)}
	self := bankURL(a) + "/" + strconv.FormatInt(it.ID, 10)
	for _, l := range langs {
		q := url.Values{"lang": {l}}
		if version > 0 {
			q.Set("version", strconv.Itoa(version))
		}
		d.Langs = append(d.Langs, langLink{Code: l, Name: langNames[l], Href: self + "?" + q.Encode()})
	}
	for _, l := range it.Left {
		d.Pairs = append(d.Pairs, pairView{Left: it.Text[lang].Left[l], Right: it.Text[lang].Right[it.Key.Pairs[l]]})
	}
	if it.Key.Text != nil {
		d.Accepted = it.Key.Text.Accepted
	}
	if d.Current {
		d.Actions = w.statusActions(p, a, it.Status)
	}
	v := w.newView(r, d)
	if f == nil {
		f = &form{}
	}
	v.Form = f
	w.render(rw, r, status, "item", v)
}

// statusActions lists the statuses p may move an item to from st; the
// service checks again (and knows who edited last).
func (w *Web) statusActions(p *identity.Principal, a *identity.Authority, st assess.Status) []assess.Status {
	next := map[assess.Status][]assess.Status{
		assess.Draft:     {assess.Reviewed, assess.Retired},
		assess.Reviewed:  {assess.Published, assess.Draft, assess.Retired},
		assess.Published: {assess.Retired},
		assess.Retired:   {assess.Draft},
	}[st]
	var out []assess.Status
	for _, to := range next {
		roles := bankReviewers
		if to == assess.Published || to == assess.Retired {
			roles = bankPublishers
		}
		if p.Has(a.ID, roles...) {
			out = append(out, to)
		}
	}
	return out
}

func (w *Web) setItemStatus(rw http.ResponseWriter, r *http.Request) {
	p := w.user(rw, r)
	if p == nil || !w.parseForm(rw, r) {
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		w.notFound(rw, r)
		return
	}
	rev, _ := strconv.Atoi(r.PostForm.Get("revision"))
	to := assess.Status(r.PostForm.Get("status"))
	code := r.PathValue("code")
	if _, err := w.cfg.Bank.SetStatus(r.Context(), p, code, id, rev, to); err != nil {
		f := formOf(r)
		if !w.invalid(f, w.lang(r), err) {
			w.fail(rw, r, err)
			return
		}
		w.itemPage(rw, r, p, httpStatusOf(err), f)
		return
	}
	w.setFlash(rw, "flash.item_status", w.cat.text(w.lang(r), statusKeys[to]))
	seeOther(rw, r, "/a/"+url.PathEscape(code)+"/items/"+strconv.FormatInt(id, 10))
}

// httpStatusOf is the status of a page re-shown with a form problem.
func httpStatusOf(err error) int {
	if errs.KindOf(err) == errs.Conflict {
		return http.StatusConflict
	}
	return http.StatusUnprocessableEntity
}

// exportFilters are the list filters an export carries over.
var exportFilters = []string{"q", "type", "status", "topic", "difficulty", "language"}

// exportItems downloads the items the list's filters select.
func (w *Web) exportItems(rw http.ResponseWriter, r *http.Request) {
	p := w.user(rw, r)
	if p == nil {
		return
	}
	q := r.URL.Query()
	format := q.Get("format")
	if !slices.Contains(formats.Export, format) {
		w.errorPage(rw, r, http.StatusBadRequest, "error.invalid_title", "error.badform")
		return
	}
	ctx := r.Context()
	items, err := w.cfg.Bank.Export(ctx, p, r.PathValue("code"), assess.ItemFilter{Text: q.Get("q"), Type: assess.ItemType(q.Get("type")),
		Status: assess.Status(q.Get("status")), Topic: q.Get("topic"), Difficulty: q.Get("difficulty"), Language: q.Get("language")}, nil)
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	ct, ext := formats.ContentType(format)
	opts := formats.WriteOptions{Lang: w.lang(r), Media: func(ref string) (io.ReadCloser, error) { return items.OpenMedia(ctx, ref) }}
	// Streamed: a problem found before the first byte is still an error
	// page; one found later aborts the download.
	err = httpx.Download(rw, r, w.log, ct, strings.ToLower(items.Authority())+"-items"+ext, func(out io.Writer) error {
		return formats.WriteStream(out, format, items.All(ctx), opts)
	})
	if err != nil {
		w.fail(rw, r, err)
	}
}
