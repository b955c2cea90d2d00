package web

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/vidya-edu/vidya/internal/assess"
	"github.com/vidya-edu/vidya/internal/identity"
	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// A new item's editor offers choices A–F and matching items 1–6 on the
// left, A–F on the right. An item keeps its own ids (imported ones may be
// "ChoiceA" and the like): the form carries them as choice_ids, left_ids
// and right_ids, with spare rows added for new options.
var (
	choiceIDs = []string{"A", "B", "C", "D", "E", "F"}
	leftIDs   = []string{"1", "2", "3", "4", "5", "6"}
)

// minRows is how many rows of each kind the editor shows at least.
const minRows = 6

// editorRows are the ids of the rows the editor shows.
type editorRows struct {
	Choices, Left, Right []string
}

var rowID = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

// rowsOf reads the rows a form carries, or the defaults.
func rowsOf(f *form) editorRows {
	pick := func(name string, def []string) []string {
		var ids []string
		for _, id := range f.Values[name] {
			if rowID.MatchString(id) && !slices.Contains(ids, id) && len(ids) < assess.MaxChoices {
				ids = append(ids, id)
			}
		}
		if len(ids) == 0 {
			return def
		}
		return ids
	}
	return editorRows{Choices: pick("choice_ids", choiceIDs), Left: pick("left_ids", leftIDs), Right: pick("right_ids", choiceIDs)}
}

// withSpare adds unused ids from spare until there are minRows (and at
// least one spare row, for adding an option), within MaxChoices.
func withSpare(ids, spare []string) []string {
	out := slices.Clone(ids)
	for _, id := range spare {
		if len(out) >= assess.MaxChoices || len(out) >= max(minRows, len(ids)+1) {
			break
		}
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// spareLetters and spareDigits are the spare ids offered for new rows.
var (
	spareLetters = strings.Split("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "")
	spareDigits  = []string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12"}
)

// editorData is what the item editor shows.
type editorData struct {
	A        *identity.Authority
	Type     assess.ItemType
	Types    []assess.ItemType
	ID       int64 // 0 for a new item
	Action   string
	Langs    []langLink
	Choices  []string
	Left     []string
	Right    []string
	Preview  []previewView
	Errors   []editorError // field problems not shown beside a field
	Bloom    []string
	Diffs    []string
	Multiple bool // several correct choices (checkboxes, not radios)
}

// editorError is one problem in the summary, linking to its input when the
// form has one.
type editorError struct {
	Href, Field, Message string
}

func hasChoices(t assess.ItemType) bool {
	return t == assess.SingleChoice || t == assess.MultipleResponse || t == assess.Ordering
}

func (w *Web) newItemForm(rw http.ResponseWriter, r *http.Request) {
	p, a := w.bankUser(rw, r)
	if a == nil {
		return
	}
	if !p.Has(a.ID, bankWriters...) {
		w.fail(rw, r, errs.E(errs.Forbidden, "web: new item", "authors only"))
		return
	}
	typ := assess.ItemType(r.URL.Query().Get("type"))
	if !typ.Valid() {
		w.render(rw, r, http.StatusOK, "item_edit", w.newView(r, &editorData{A: a, Types: assess.ItemTypes}))
		return
	}
	f := &form{Values: url.Values{"type": {string(typ)}, "scoring.marks": {"1"}}, Errors: map[string]string{}}
	if typ == assess.TrueFalse {
		f.Values.Set("correct", "true")
	}
	w.editorPage(rw, r, a, 0, http.StatusOK, f, false)
}

func (w *Web) editItemForm(rw http.ResponseWriter, r *http.Request) {
	p, a := w.bankUser(rw, r)
	if a == nil {
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		w.notFound(rw, r)
		return
	}
	if !p.Has(a.ID, bankWriters...) {
		w.fail(rw, r, errs.E(errs.Forbidden, "web: edit item", "authors only"))
		return
	}
	it, err := w.cfg.Bank.Item(r.Context(), p, a.Code, id, 0)
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	w.editorPage(rw, r, a, id, http.StatusOK, itemForm(it), false)
}

// itemForm fills the editor's fields from an item.
func itemForm(it *assess.Item) *form {
	v := url.Values{}
	set := func(k, s string) {
		if s != "" {
			v.Set(k, s)
		}
	}
	num := func(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
	v.Set("type", string(it.Type))
	v.Set("revision", strconv.Itoa(it.Revision))
	var ids []string
	for _, c := range it.Choices {
		ids = append(ids, c.ID)
	}
	if it.Type != assess.TrueFalse {
		v["choice_ids"] = withSpare(ids, spareLetters)
	}
	v["left_ids"] = withSpare(it.Left, spareDigits)
	v["right_ids"] = withSpare(it.Right, spareLetters)
	set("title", it.Title)
	for lang, t := range it.Text {
		p := "text." + lang + "."
		set(p+"stem", t.Stem)
		set(p+"explanation", t.Explanation)
		for id, s := range t.Choices {
			set(p+"choices."+id, s)
		}
		for id, s := range t.Left {
			set(p+"left."+id, s)
		}
		for id, s := range t.Right {
			set(p+"right."+id, s)
		}
	}
	for _, c := range it.Choices {
		if c.Fixed {
			v.Add("fixed", c.ID)
		}
	}
	if it.Type != assess.Ordering {
		for _, c := range it.Key.Choices {
			v.Add("correct", c)
		}
	}
	for l, r := range it.Key.Pairs {
		v.Set("key.pairs."+l, r)
	}
	if n := it.Key.Numeric; n != nil {
		v.Set("key.numeric.value", num(n.Value))
		set("key.numeric.tolerance", num(n.Tolerance))
		if n.Range {
			v.Set("key.numeric.range", "on")
			v.Set("key.numeric.min", num(n.Min))
			v.Set("key.numeric.max", num(n.Max))
		}
	}
	if k := it.Key.Text; k != nil {
		v.Set("key.text.accepted", strings.Join(k.Accepted, "\n"))
		if k.CaseSensitive {
			v.Set("key.text.case_sensitive", "on")
		}
		if k.IgnoreSpaces {
			v.Set("key.text.ignore_spaces", "on")
		}
	}
	v.Set("scoring.marks", num(it.Scoring.Marks))
	if it.Scoring.Penalty != 0 {
		v.Set("scoring.penalty", num(it.Scoring.Penalty))
	}
	set("tags.topic", it.Tags.Topic)
	set("tags.difficulty", it.Tags.Difficulty)
	set("tags.bloom", it.Tags.Bloom)
	set("tags.source", it.Tags.Source)
	set("tags.labels", strings.Join(it.Tags.Labels, ", "))
	if it.Shuffle {
		v.Set("shuffle", "on")
	}
	if it.MaxChoices > 0 {
		v.Set("max_choices", strconv.Itoa(it.MaxChoices))
	}
	return &form{Values: v, Errors: map[string]string{}}
}

// itemInput builds the item the editor's form describes. Numbers that do
// not parse become field errors in f.
func itemInput(f *form) *assess.ItemInput {
	v := f.Values
	rows := rowsOf(f)
	typ := assess.ItemType(v.Get("type"))
	in := &assess.ItemInput{Type: typ, Title: v.Get("title"), Text: map[string]assess.Text{}, Shuffle: v.Get("shuffle") != ""}
	num := func(name string, required bool) float64 {
		s := strings.TrimSpace(v.Get(name))
		if s == "" {
			if required {
				f.Errors[name] = "is required"
			}
			return 0
		}
		x, err := strconv.ParseFloat(s, 64)
		if err != nil {
			f.Errors[name] = "must be a number"
		}
		return x
	}
	for _, lang := range assess.Languages {
		p := "text." + lang + "."
		t := assess.Text{Stem: v.Get(p + "stem"), Explanation: v.Get(p + "explanation")}
		used := strings.TrimSpace(t.Stem+t.Explanation) != ""
		if hasChoices(typ) {
			for _, id := range rows.Choices {
				if s := v.Get(p + "choices." + id); s != "" {
					if t.Choices == nil {
						t.Choices = map[string]string{}
					}
					t.Choices[id] = s
					used = true
				}
			}
		}
		if typ == assess.Matching {
			for _, id := range rows.Left {
				if s := v.Get(p + "left." + id); s != "" {
					if t.Left == nil {
						t.Left = map[string]string{}
					}
					t.Left[id], used = s, true
				}
			}
			for _, id := range rows.Right {
				if s := v.Get(p + "right." + id); s != "" {
					if t.Right == nil {
						t.Right = map[string]string{}
					}
					t.Right[id], used = s, true
				}
			}
		}
		if used {
			in.Text[lang] = t
		}
	}
	if len(in.Text) == 0 {
		in.Text["en"] = assess.Text{}
	}
	// A row is in the item if any language has text for it.
	rowUsed := func(kind, id string) bool {
		for _, t := range in.Text {
			m := map[string]map[string]string{"choices": t.Choices, "left": t.Left, "right": t.Right}[kind]
			if m[id] != "" {
				return true
			}
		}
		return false
	}
	switch {
	case hasChoices(typ):
		for _, id := range rows.Choices {
			if rowUsed("choices", id) || slices.Contains(v["correct"], id) {
				in.Choices = append(in.Choices, assess.Choice{ID: id, Fixed: slices.Contains(v["fixed"], id)})
			}
		}
		if typ == assess.Ordering {
			for _, c := range in.Choices {
				in.Key.Choices = append(in.Key.Choices, c.ID)
			}
		} else {
			in.Key.Choices = slices.Clone(v["correct"])
		}
		if s := strings.TrimSpace(v.Get("max_choices")); typ == assess.MultipleResponse && s != "" {
			n, err := strconv.Atoi(s)
			if err != nil {
				f.Errors["max_choices"] = "must be a whole number"
			}
			in.MaxChoices = n
		}
	case typ == assess.TrueFalse:
		in.Choices = []assess.Choice{{ID: "true"}, {ID: "false"}}
		in.Key.Choices = slices.Clone(v["correct"])
	case typ == assess.Matching:
		for _, id := range rows.Left {
			if rowUsed("left", id) {
				in.Left = append(in.Left, id)
			}
		}
		for _, id := range rows.Right {
			if rowUsed("right", id) {
				in.Right = append(in.Right, id)
			}
		}
		for _, l := range in.Left {
			if r := v.Get("key.pairs." + l); r != "" {
				if in.Key.Pairs == nil {
					in.Key.Pairs = map[string]string{}
				}
				in.Key.Pairs[l] = r
			}
		}
	case typ == assess.Numeric:
		n := &assess.NumericKey{Range: v.Get("key.numeric.range") != ""}
		if n.Range {
			n.Min, n.Max = num("key.numeric.min", true), num("key.numeric.max", true)
		} else {
			n.Value, n.Tolerance = num("key.numeric.value", true), num("key.numeric.tolerance", false)
		}
		in.Key.Numeric = n
	case typ == assess.ShortText:
		k := &assess.TextKey{CaseSensitive: v.Get("key.text.case_sensitive") != "", IgnoreSpaces: v.Get("key.text.ignore_spaces") != ""}
		for _, line := range strings.Split(v.Get("key.text.accepted"), "\n") {
			if line = strings.TrimSpace(line); line != "" {
				k.Accepted = append(k.Accepted, line)
			}
		}
		in.Key.Text = k
	}
	in.Scoring.Marks = num("scoring.marks", true)
	in.Scoring.Penalty = num("scoring.penalty", false)
	in.Tags = assess.Tags{Topic: v.Get("tags.topic"), Difficulty: v.Get("tags.difficulty"), Bloom: v.Get("tags.bloom"), Source: v.Get("tags.source")}
	for _, l := range strings.Split(v.Get("tags.labels"), ",") {
		if l = strings.TrimSpace(l); l != "" {
			in.Tags.Labels = append(in.Tags.Labels, l)
		}
	}
	return in
}

// fieldAliases send the service's field paths that have no input of their
// own to the input or group that shows them.
var fieldAliases = map[string]string{
	"choices":       "correct",
	"key.choices":   "correct",
	"key":           "correct",
	"key.pairs":     "pairs",
	"left":          "pairs",
	"right":         "pairs",
	"key.numeric":   "key.numeric.value",
	"key.text":      "key.text.accepted",
	"text":          "text.en.stem",
	"scoring":       "scoring.marks",
	"scoring.upper": "scoring.marks",
	"scoring.lower": "scoring.penalty",
}

// editorInputs lists the names of the inputs the editor shows for a type.
func editorInputs(typ assess.ItemType, rows editorRows) map[string]bool {
	m := map[string]bool{"title": true, "scoring.marks": true, "scoring.penalty": true, "tags.topic": true, "tags.difficulty": true,
		"tags.bloom": true, "tags.source": true, "tags.labels": true}
	for _, lang := range assess.Languages {
		p := "text." + lang + "."
		m[p+"stem"], m[p+"explanation"] = true, true
		if hasChoices(typ) {
			for _, id := range rows.Choices {
				m[p+"choices."+id] = true
			}
		}
		if typ == assess.Matching {
			for _, id := range rows.Left {
				m[p+"left."+id] = true
			}
			for _, id := range rows.Right {
				m[p+"right."+id] = true
			}
		}
	}
	switch typ {
	case assess.SingleChoice, assess.TrueFalse:
		m["correct"] = true
	case assess.MultipleResponse:
		m["correct"], m["max_choices"] = true, true
	case assess.Ordering:
		m["correct"] = true // the choices group
	case assess.Matching:
		m["pairs"] = true
	case assess.Numeric:
		for _, k := range []string{"key.numeric.value", "key.numeric.tolerance", "key.numeric.min", "key.numeric.max"} {
			m[k] = true
		}
	case assess.ShortText:
		m["key.text.accepted"] = true
	}
	return m
}

// mapFieldErrors moves the service's field errors onto the editor's inputs
// and returns the summary of all of them.
func (w *Web) mapFieldErrors(f *form, typ assess.ItemType, lang string) []editorError {
	inputs := editorInputs(typ, rowsOf(f))
	moved := map[string]string{}
	var out []editorError
	names := slices.Sorted(mapKeys(f.Errors))
	for _, path := range names {
		msg := w.itemFieldMessage(lang, f.Errors[path])
		target := path
		if !inputs[target] {
			target = fieldAliases[path]
		}
		if !inputs[target] && strings.HasPrefix(path, "text.") {
			// text.hi.choices.G: an id the editor has no row for.
			target = ""
		}
		e := editorError{Field: path, Message: msg}
		if inputs[target] {
			if moved[target] == "" {
				moved[target] = msg
			} else if !strings.Contains(moved[target], msg) {
				moved[target] += "; " + msg
			}
			e.Href = "#f-" + target
		}
		out = append(out, e)
	}
	f.Errors = moved
	return out
}

// itemFieldMessage translates the bank's common field messages; others are
// shown as the service wrote them.
func (w *Web) itemFieldMessage(lang, msg string) string {
	if key, ok := fieldMessages[msg]; ok {
		return w.cat.text(lang, key)
	}
	if msg == "must be a number" {
		return w.cat.text(lang, "fielderr.number")
	}
	if msg == "must be a whole number" {
		return w.cat.text(lang, "fielderr.whole_number")
	}
	return msg
}

// editorPage shows the editor for a form; withPreview renders the item as
// it stands.
func (w *Web) editorPage(rw http.ResponseWriter, r *http.Request, a *identity.Authority, id int64, status int, f *form, withPreview bool) {
	lang := w.lang(r)
	typ := assess.ItemType(f.Get("type"))
	rows := rowsOf(f)
	d := &editorData{A: a, Type: typ, ID: id, Choices: rows.Choices, Left: rows.Left, Right: rows.Right, Bloom: assess.BloomLevels, Diffs: assess.Difficulties,
		Multiple: typ == assess.MultipleResponse}
	d.Action = bankURL(a) + "/new"
	if id > 0 {
		d.Action = bankURL(a) + "/" + strconv.FormatInt(id, 10) + "/edit"
	}
	for _, l := range assess.Languages {
		d.Langs = append(d.Langs, langLink{Code: l, Name: langNames[l]})
	}
	if len(f.Errors) > 0 {
		d.Errors = w.mapFieldErrors(f, typ, lang)
		if f.Message == "" {
			f.Message = w.cat.text(lang, "form.fix")
		}
	}
	if withPreview {
		d.Preview = previewsOf(f)
	}
	v := w.newView(r, d)
	v.Form = f
	w.render(rw, r, status, "item_edit", v)
}

// previewsOf renders the item a form describes, in each language it has.
func previewsOf(f *form) []previewView {
	probe := &form{Values: f.Values, Errors: map[string]string{}}
	it := itemInput(probe).Item()
	var out []previewView
	for _, l := range itemLangs(it) {
		out = append(out, preview(it, l))
	}
	return out
}

// saveItem creates (no id) or updates an item from the editor's form.
func (w *Web) saveItem(rw http.ResponseWriter, r *http.Request) {
	p := w.user(rw, r)
	if p == nil || !w.parseItemForm(rw, r) {
		return
	}
	a := w.bankAuthority(rw, r, p)
	if a == nil {
		return
	}
	var id int64
	if s := r.PathValue("id"); s != "" {
		var err error
		if id, err = strconv.ParseInt(s, 10, 64); err != nil {
			w.notFound(rw, r)
			return
		}
	}
	f := formOf(r)
	if !assess.ItemType(f.Get("type")).Valid() {
		w.errorPage(rw, r, http.StatusBadRequest, "error.invalid_title", "error.badform")
		return
	}
	if r.PostForm.Get("do") == "preview" {
		w.editorPage(rw, r, a, id, http.StatusOK, f, true)
		return
	}
	in := itemInput(f)
	if len(f.Errors) > 0 {
		w.editorPage(rw, r, a, id, http.StatusUnprocessableEntity, f, false)
		return
	}
	var it *assess.Item
	var err error
	if id == 0 {
		it, err = w.cfg.Bank.CreateItem(r.Context(), p, a.Code, in.Item())
	} else {
		rev, _ := strconv.Atoi(f.Get("revision"))
		it, err = w.cfg.Bank.UpdateItem(r.Context(), p, a.Code, id, rev, in.Item())
	}
	if err != nil {
		if !w.invalid(f, w.lang(r), err) {
			w.fail(rw, r, err)
			return
		}
		if len(f.Errors) == 0 && errs.KindOf(err) == errs.Conflict {
			f.Message = w.cat.text(w.lang(r), "item.conflict") + " " + f.Message
		}
		w.editorPage(rw, r, a, id, httpStatusOf(err), f, false)
		return
	}
	w.setFlash(rw, "flash.item_saved", strconv.FormatInt(it.ID, 10))
	seeOther(rw, r, bankURL(a)+"/"+strconv.FormatInt(it.ID, 10))
}

// parseItemForm reads an editor form, which may be larger than others.
func (w *Web) parseItemForm(rw http.ResponseWriter, r *http.Request) bool {
	r.Body = http.MaxBytesReader(rw, r.Body, maxItemForm)
	if err := r.ParseForm(); err != nil {
		w.errorPage(rw, r, http.StatusBadRequest, "error.invalid_title", "error.badform")
		return false
	}
	return true
}

// previewFragment answers the editor's live preview: the rendered item as
// an HTML fragment, for the script to swap in.
func (w *Web) previewFragment(rw http.ResponseWriter, r *http.Request) {
	p := w.user(rw, r)
	if p == nil || !w.parseItemForm(rw, r) {
		return
	}
	a := w.bankAuthority(rw, r, p)
	if a == nil {
		return
	}
	f := formOf(r)
	if !assess.ItemType(f.Get("type")).Valid() {
		http.Error(rw, "unknown item type", http.StatusBadRequest)
		return
	}
	v := w.newView(r, &editorData{A: a, Preview: previewsOf(f)})
	var buf bytes.Buffer
	if err := w.pages[v.Lang]["item_edit"].ExecuteTemplate(&buf, "previews", v); err != nil {
		w.log.ErrorContext(r.Context(), "render preview", "request_id", v.RequestID, "err", err)
		http.Error(rw, "internal error", http.StatusInternalServerError)
		return
	}
	h := rw.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", fmt.Sprint(buf.Len()))
	_, _ = buf.WriteTo(rw)
}
