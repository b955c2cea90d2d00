package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"testing"

	"github.com/vidya-edu/vidya/internal/identity"
)

// A limit set in the editor is kept, shown on the item page and offered
// again for editing. Needs bank.go to store Item.MaxChoices.
func TestEditorMaxChoicesIsSaved(t *testing.T) {
	e := newEnv(t)
	c := e.signedIn("admin-a@vidya.test")
	f := url.Values{
		"type": {"multiple_response"}, "text.en.stem": {"Which are prime?"},
		"text.en.choices.A": {"2"}, "text.en.choices.B": {"3"}, "text.en.choices.C": {"4"},
		"correct": {"A", "B"}, "scoring.marks": {"2"}, "max_choices": {"2"}, "do": {"save"},
	}
	p := c.post("/a/ALPHA/items/new", f).wantStatus(t, http.StatusSeeOther)
	m := itemURLRE.FindStringSubmatch(p.Header.Get("Location"))
	if m == nil {
		t.Fatalf("redirect to %q", p.Header.Get("Location"))
	}
	id, _ := strconv.ParseInt(m[1], 10, 64)
	it, err := e.bank.Item(context.Background(), identity.CommandLine(), "ALPHA", id, 0)
	if err != nil || it.MaxChoices != 2 {
		t.Fatalf("stored %+v, %v", it, err)
	}
	c.get(p.Header.Get("Location")).wantContains(t, "<dt>Choices allowed</dt><dd>at most 2</dd>")
	c.get(p.Header.Get("Location")+"/edit").wantContains(t, `id="f-max_choices"`, `value="2"`)
}
