package web

import (
	"bytes"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// pngOf is a small PNG whose bytes differ with shade, so each is a new
// image in the store.
func pngOf(shade uint8) []byte {
	m := image.NewGray(image.Rect(0, 0, 8, 8))
	m.SetGray(0, 0, color.Gray{Y: shade})
	var b bytes.Buffer
	_ = png.Encode(&b, m)
	return b.Bytes()
}

// uploadJSON posts an image as the editor's picker does: multipart, asking
// for JSON.
func (c *client) uploadJSON(path string, data []byte, contentType string) *page {
	c.e.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="image"; filename="x"`)
	h.Set("Content-Type", contentType)
	part, _ := mw.CreatePart(h)
	part.Write(data)
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, c.e.srv.URL+path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Accept", "application/json")
	return c.do(req)
}

func TestImagePickerJSON(t *testing.T) {
	e := newEnv(t)
	author := e.signedIn("admin-a@vidya.test")
	const path = "/a/ALPHA/items/images"
	asJSON := []string{"Accept", "application/json"}

	list := func(c *client, at ...string) []map[string]any {
		t.Helper()
		where := path
		if len(at) > 0 {
			where = at[0]
		}
		p := c.get(where, asJSON...).wantStatus(t, http.StatusOK)
		if ct := p.Header.Get("Content-Type"); ct != "application/json" {
			t.Fatalf("Content-Type %q", ct)
		}
		var body struct {
			Images []map[string]any `json:"images"`
		}
		if err := json.Unmarshal([]byte(p.Body), &body); err != nil || body.Images == nil {
			t.Fatalf("listing %q: %v", p.Body, err)
		}
		return body.Images
	}
	if got := list(author); len(got) != 0 {
		t.Fatalf("a new authority lists %v", got)
	}

	var urls []string
	for _, shade := range []uint8{10, 20} {
		p := author.uploadJSON(path, pngOf(shade), "image/png").wantStatus(t, http.StatusCreated)
		var out struct{ URL, Markdown string }
		if err := json.Unmarshal([]byte(p.Body), &out); err != nil {
			t.Fatalf("upload answer %q: %v", p.Body, err)
		}
		if !regexp.MustCompile(`^/media/ALPHA/[0-9a-f]{64}\.png$`).MatchString(out.URL) || out.Markdown != "![]("+out.URL+")" {
			t.Fatalf("upload answer %+v", out)
		}
		urls = append(urls, out.URL)
	}
	got := list(author)
	if len(got) != 2 {
		t.Fatalf("listed %d images, want 2: %v", len(got), got)
	}
	for _, im := range got {
		u, _ := im["url"].(string)
		if u != urls[0] && u != urls[1] || im["size"] == nil || im["uploaded"] == nil {
			t.Errorf("listed %v", im)
		}
	}

	t.Run("a bad upload is a JSON error", func(t *testing.T) {
		p := author.uploadJSON(path, []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`), "image/svg+xml").wantStatus(t, http.StatusUnprocessableEntity)
		var out struct{ Error string }
		if err := json.Unmarshal([]byte(p.Body), &out); err != nil || !strings.Contains(out.Error, "PNG, JPEG, GIF or WebP") {
			t.Errorf("%q: %v", p.Body, err)
		}
		if len(list(author)) != 2 {
			t.Error("a refused upload was stored")
		}
	})
	t.Run("the page itself is still HTML", func(t *testing.T) {
		p := author.get(path).wantStatus(t, http.StatusOK).wantContains(t, `enctype="multipart/form-data"`)
		if !strings.Contains(p.Header.Get("Vary"), "Accept") {
			t.Errorf("Vary %q", p.Header.Get("Vary"))
		}
	})
	t.Run("others cannot list or upload", func(t *testing.T) {
		e.signedIn("learner-a@vidya.test").get(path, asJSON...).wantStatus(t, http.StatusForbidden)
		e.signedIn("admin-b@vidya.test").get(path, asJSON...).wantStatus(t, http.StatusNotFound)
		e.signedIn("admin-b@vidya.test").uploadJSON(path, pngOf(30), "image/png").wantStatus(t, http.StatusNotFound)
		e.client().get(path, asJSON...).wantStatus(t, http.StatusSeeOther)
		if len(list(author)) != 2 {
			t.Error("a refused upload was stored")
		}
	})
	t.Run("another authority's images are not listed", func(t *testing.T) {
		// BETA's admin may read BETA's bank; ALPHA's images are not in it.
		if got := list(e.signedIn("admin-b@vidya.test"), "/a/BETA/items/images"); len(got) != 0 {
			t.Errorf("BETA lists %v", got)
		}
	})
}

func TestEditorOffersImagePicker(t *testing.T) {
	e := newEnv(t)
	c := e.signedIn("admin-a@vidya.test")
	p := c.get("/a/ALPHA/items/new?type=multiple_response").wantStatus(t, http.StatusOK)
	p.wantContains(t,
		`<template id="image-picker" data-images="/a/ALPHA/items/images">`,
		`<dialog class="image-picker"`, `data-insert="Insert image"`, `id="ip-file"`,
		// The link stays for browsers without JavaScript.
		`href="/a/ALPHA/items/images"`)
	if !regexp.MustCompile(`<script type="module" src="/static/insert-image\.[^"]*js"></script>`).MatchString(p.Body) {
		t.Errorf("no picker script:\n%s", p.Body)
	}
	// The picker's script is served as JavaScript, from this origin.
	m := regexp.MustCompile(`src="(/static/insert-image[^"]*)"`).FindStringSubmatch(p.Body)
	if m == nil {
		t.Fatal("no script URL")
	}
	js := c.get(m[1]).wantStatus(t, http.StatusOK)
	if !strings.HasPrefix(js.Header.Get("Content-Type"), "text/javascript") || !strings.Contains(js.Body, "setRangeText") {
		t.Errorf("script: %s %q", js.Header.Get("Content-Type"), js.Body[:min(80, len(js.Body))])
	}
	// Hindi pages get the picker in Hindi.
	c.get("/lang/hi")
	c.get("/a/ALPHA/items/new?type=single_choice").wantContains(t, `data-insert="चित्र जोड़ें"`)
}

func TestEditorMaxChoices(t *testing.T) {
	e := newEnv(t)
	c := e.signedIn("admin-a@vidya.test")
	c.get("/a/ALPHA/items/new?type=multiple_response").wantContains(t, `id="f-max_choices"`, "Most choices a candidate may pick")
	c.get("/a/ALPHA/items/new?type=single_choice").wantLacks(t, `id="f-max_choices"`)

	form := func(max string) url.Values {
		return url.Values{
			"type": {"multiple_response"}, "text.en.stem": {"Which are prime?"},
			"text.en.choices.A": {"2"}, "text.en.choices.B": {"3"}, "text.en.choices.C": {"4"},
			"correct": {"A", "B"}, "scoring.marks": {"2"}, "max_choices": {max}, "do": {"save"},
		}
	}
	t.Run("not a whole number", func(t *testing.T) {
		c.post("/a/ALPHA/items/new", form("two")).wantStatus(t, http.StatusUnprocessableEntity).
			wantContains(t, `id="f-max_choices-err"`, "Enter a whole number, such as 2.", `href="#f-max_choices"`)
	})
	t.Run("fewer than the correct choices", func(t *testing.T) {
		c.post("/a/ALPHA/items/new", form("1")).wantStatus(t, http.StatusUnprocessableEntity).
			wantContains(t, `id="f-max_choices-err"`, "the key has 2 correct choices")
	})
	t.Run("more than the choices", func(t *testing.T) {
		c.post("/a/ALPHA/items/new", form("4")).wantStatus(t, http.StatusUnprocessableEntity).
			wantContains(t, `id="f-max_choices-err"`, "is 4, but the item has 3 choices")
	})
	t.Run("the preview keeps the value", func(t *testing.T) {
		f := form("2")
		f.Set("do", "preview")
		c.post("/a/ALPHA/items/new", f).wantStatus(t, http.StatusOK).wantContains(t, `id="f-max_choices"`, `value="2"`)
	})
}

func TestImportPageShowsNotes(t *testing.T) {
	e := newEnv(t)
	author := e.signedIn("admin-a@vidya.test")
	src := "::cap:: Capital of India? {=Delhi =%50%Dilli}\n\n::ok:: Which is a prime? {=7 ~8}\n"
	u16 := []byte{0xFF, 0xFE}
	for _, r := range src {
		u16 = append(u16, byte(r), 0)
	}
	p := author.postMultipart("/a/ALPHA/items/import", map[string]string{"format": "gift", "lang": "en"}, "bank.gift", u16).wantStatus(t, http.StatusOK)
	p.wantContains(t,
		"<dt>Items with notes</dt><dd>1</dd>",
		`id="file-notes"`, "The file is UTF-16 (little-endian) text",
		"Notes on line 1:",
		"answer &#34;Dilli&#34; at 50% is dropped: a short-answer item accepts only answers at 100%",
		"the notes under their lines say what was dropped or changed")
	if strings.Contains(p.Body, "Notes on line 3:") {
		t.Error("a question read as written has notes")
	}
	// The line with notes comes before the plain one.
	if strings.Index(p.Body, `>line 1<`) > strings.Index(p.Body, `>line 3<`) {
		t.Error("the line with notes is not shown first")
	}

	t.Run("no notes, no notes section", func(t *testing.T) {
		p := author.postMultipart("/a/ALPHA/items/import", map[string]string{"format": "gift", "lang": "en"}, "ok.gift", []byte("Which is a prime? {=7 ~8}\n")).wantStatus(t, http.StatusOK)
		p.wantContains(t, "<dt>Items with notes</dt><dd>0</dd>").wantLacks(t, `id="file-notes"`, `class="notes"`)
	})
	t.Run("in Hindi", func(t *testing.T) {
		author.get("/lang/hi")
		author.postMultipart("/a/ALPHA/items/import", map[string]string{"format": "gift", "lang": "en"}, "bank.gift", u16).
			wantStatus(t, http.StatusOK).wantContains(t, "टिप्पणियों वाले प्रश्न", "line 1 पर टिप्पणियाँ:")
	})
}
