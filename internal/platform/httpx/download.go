package httpx

import (
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
)

// Download streams a file to the client as write produces it, so a large
// file costs no memory. Its headers (Content-Type, Content-Disposition
// with filename, Cache-Control: no-store) go out with the first byte.
//
// If write fails before it has written anything, Download returns the
// error and the response is untouched: the caller answers with a problem or
// an error page. Once bytes have gone out a status cannot change, so the
// error is logged with the request id and the connection is aborted (panic
// with http.ErrAbortHandler): the client sees a failed download, never a
// file silently cut short.
func Download(w http.ResponseWriter, r *http.Request, log *slog.Logger, contentType, filename string, write func(io.Writer) error) error {
	dw := &downloadWriter{w: w, start: func() {
		h := w.Header()
		h.Set("Content-Type", contentType)
		h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": filename}))
		h.Set("Cache-Control", "no-store")
		h.Set("X-Content-Type-Options", "nosniff")
		w.WriteHeader(http.StatusOK)
	}}
	err := write(dw)
	switch {
	case err == nil && !dw.started:
		dw.start() // an empty file
	case err != nil && dw.started && r.Context().Err() != nil:
		log.InfoContext(r.Context(), "download stopped: the client went away", "request_id", RequestID(r.Context()), "path", r.URL.Path, "bytes", dw.n)
		panic(http.ErrAbortHandler)
	case err != nil && dw.started:
		log.ErrorContext(r.Context(), "download failed after it started; aborting the connection",
			"request_id", RequestID(r.Context()), "method", r.Method, "path", r.URL.Path, "bytes", dw.n, "err", err)
		panic(http.ErrAbortHandler)
	}
	return err
}

// downloadWriter sends the headers before the first byte and counts bytes.
type downloadWriter struct {
	w       http.ResponseWriter
	start   func()
	started bool
	n       int64
}

func (d *downloadWriter) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if !d.started {
		d.started = true
		d.start()
	}
	n, err := d.w.Write(p)
	d.n += int64(n)
	if err != nil {
		return n, fmt.Errorf("sending the download: %w", err)
	}
	return n, nil
}
