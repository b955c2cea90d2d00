package web

import (
	"bytes"
	"image"
	"image/png"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"testing"
)

// postFile sends a multipart form with one file field, as a browser does.
func (c *client) postFile(path, field, filename, contentType string, data []byte) *page {
	c.e.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="`+field+`"; filename="`+filename+`"`)
	h.Set("Content-Type", contentType)
	part, _ := mw.CreatePart(h)
	part.Write(data)
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, c.e.srv.URL+path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return c.do(req)
}

func TestLogoUpload(t *testing.T) {
	e := newEnv(t)
	admin := e.signedIn("admin-a@vidya.test")
	var img bytes.Buffer
	png.Encode(&img, image.NewGray(image.Rect(0, 0, 64, 32)))

	admin.get("/a/ALPHA").wantStatus(t, http.StatusOK).wantContains(t, "No logo yet.", `enctype="multipart/form-data"`).wantLacks(t, `class="logo"`)
	admin.postFile("/a/ALPHA/logo", "logo", "x.png", "image/png", []byte("not an image")).
		wantStatus(t, http.StatusUnprocessableEntity).wantContains(t, `id="f-logo-err"`, "not a png image")
	admin.postFile("/a/ALPHA/logo", "logo", "logo.png", "image/png", img.Bytes()).wantRedirect(t, "/a/ALPHA")
	admin.get("/a/ALPHA").wantStatus(t, http.StatusOK).
		wantContains(t, "The logo has been saved.", `<img class="logo" src="/authorities/ALPHA/logo?v=logo-`).wantLacks(t, "No logo yet.")
	// Members see it; only administrators get the forms.
	e.signedIn("learner-a@vidya.test").get("/a/ALPHA").wantContains(t, `class="logo"`).wantLacks(t, `action="/a/ALPHA/logo"`)
	e.signedIn("learner-a@vidya.test").postFile("/a/ALPHA/logo", "logo", "logo.png", "image/png", img.Bytes()).wantStatus(t, http.StatusForbidden)
	// Another authority's admin is told the authority does not exist.
	e.signedIn("admin-b@vidya.test").postFile("/a/ALPHA/logo", "logo", "logo.png", "image/png", img.Bytes()).wantStatus(t, http.StatusNotFound)

	admin.post("/a/ALPHA/logo/remove", nil).wantRedirect(t, "/a/ALPHA")
	admin.get("/a/ALPHA").wantContains(t, "No logo yet.")
}
