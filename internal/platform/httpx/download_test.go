package httpx_test

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/vidya-edu/vidya/internal/platform/httpx"
)

func TestDownload(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	fail := errors.New("the disk is gone")
	handler := func(body []byte, err error) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			got := httpx.Download(w, r, log, "application/zip", "hkcl-items.zip", func(out io.Writer) error {
				for i := 0; i < len(body); i += 1000 {
					if _, err := out.Write(body[i:min(i+1000, len(body))]); err != nil {
						return err
					}
				}
				return err
			})
			if got != nil {
				http.Error(w, "problem: "+got.Error(), http.StatusTeapot)
			}
		})
	}
	big := bytes.Repeat([]byte("0123456789"), 100_000)

	t.Run("a file streams with its headers", func(t *testing.T) {
		srv := httptest.NewServer(handler(big, nil))
		defer srv.Close()
		res, err := http.Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, err := io.ReadAll(res.Body)
		if err != nil || !bytes.Equal(body, big) {
			t.Fatalf("body: %d bytes, %v", len(body), err)
		}
		h := res.Header
		if res.StatusCode != 200 || h.Get("Content-Type") != "application/zip" || h.Get("Content-Disposition") != "attachment; filename=hkcl-items.zip" || h.Get("Cache-Control") != "no-store" {
			t.Errorf("%d %v", res.StatusCode, h)
		}
	})
	t.Run("an error before the first byte is the caller's to answer", func(t *testing.T) {
		srv := httptest.NewServer(handler(nil, fail))
		defer srv.Close()
		res, err := http.Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		if res.StatusCode != http.StatusTeapot || !strings.Contains(string(body), "the disk is gone") || res.Header.Get("Content-Disposition") != "" {
			t.Errorf("%d %q %v", res.StatusCode, body, res.Header)
		}
	})
	t.Run("an error after bytes went out aborts the download", func(t *testing.T) {
		logs.Reset()
		srv := httptest.NewServer(handler(big, fail))
		defer srv.Close()
		res, err := http.Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, err := io.ReadAll(res.Body)
		if err == nil {
			t.Fatalf("the client read %d bytes and no error: a truncated file would look complete", len(body))
		}
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("read error %v, want unexpected EOF", err)
		}
		if !strings.Contains(logs.String(), "the disk is gone") {
			t.Errorf("the error was not logged: %s", logs.String())
		}
	})
	t.Run("an empty file is still a file", func(t *testing.T) {
		srv := httptest.NewServer(handler(nil, nil))
		defer srv.Close()
		res, err := http.Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 200 || res.Header.Get("Content-Disposition") == "" {
			t.Errorf("%d %v", res.StatusCode, res.Header)
		}
	})
}
