package pdf

import (
	"bytes"
	"compress/zlib"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"

	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// Limits on images, against decompression bombs.
const (
	maxAssetBytes  = 20 << 20
	maxImagePixels = 40_000_000
)

// pdfImage is an image ready to be written as XObjects: the image stream's
// dictionary entries and data, and an optional soft mask for transparency.
type pdfImage struct {
	width, height int
	dict          string // entries after /Length, without brackets
	data          []byte
	mask          []byte // Flate-compressed DeviceGray alpha, or nil
}

// loadImage reads a JPEG (passed through as DCTDecode) or PNG (decoded,
// stored as Flate-compressed RGB or grey, with alpha as a soft mask).
func loadImage(data []byte) (*pdfImage, error) {
	const op = "pdf: read image"
	if len(data) > maxAssetBytes {
		return nil, errs.E(errs.Invalid, op, "the image is larger than %d MB", maxAssetBytes>>20)
	}
	switch {
	case bytes.HasPrefix(data, []byte{0xff, 0xd8, 0xff}):
		return loadJPEG(data)
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		return loadPNG(data)
	}
	if isPDF(data) { // PDF backgrounds: pdfpage.go
		return nil, errs.E(errs.Invalid, op, "a PDF file can only be used as the background, not as an image")
	}
	return nil, errs.E(errs.Invalid, op, "the image is neither PNG nor JPEG")
}

func checkDims(w, h int) error {
	if w <= 0 || h <= 0 || w*h > maxImagePixels || w > 30000 || h > 30000 {
		return errs.E(errs.Invalid, "pdf: read image", "the image is %d × %d pixels; at most %d megapixels are allowed", w, h, maxImagePixels/1_000_000)
	}
	return nil
}

func loadJPEG(data []byte) (*pdfImage, error) {
	const op = "pdf: read image"
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, &errs.Error{Kind: errs.Invalid, Op: op, Message: "the JPEG image is damaged", Err: err}
	}
	if err := checkDims(cfg.Width, cfg.Height); err != nil {
		return nil, err
	}
	// Decoding the whole image once proves the data is sound: a PDF viewer
	// would otherwise show a broken image on every certificate.
	if _, err := jpeg.Decode(bytes.NewReader(data)); err != nil {
		return nil, &errs.Error{Kind: errs.Invalid, Op: op, Message: "the JPEG image is damaged", Err: err}
	}
	img := &pdfImage{width: cfg.Width, height: cfg.Height, data: data}
	var cs string
	switch cfg.ColorModel {
	case color.GrayModel:
		cs = "/DeviceGray"
	case color.CMYKModel:
		cs = "/DeviceCMYK"
		if adobeJPEG(data) {
			// Adobe writes CMYK JPEGs inverted.
			cs += " /Decode [1 0 1 0 1 0 1 0]"
		}
	default:
		cs = "/DeviceRGB"
	}
	img.dict = "/Type /XObject /Subtype /Image /Width " + itoa(cfg.Width) + " /Height " + itoa(cfg.Height) +
		" /ColorSpace " + cs + " /BitsPerComponent 8 /Filter /DCTDecode"
	return img, nil
}

// adobeJPEG reports whether the JPEG has an Adobe APP14 marker.
func adobeJPEG(data []byte) bool {
	for i := 2; i+4 <= len(data); {
		if data[i] != 0xff {
			return false
		}
		m := data[i+1]
		if m == 0xda || m == 0xd9 { // start of scan, end of image
			return false
		}
		n := int(data[i+2])<<8 | int(data[i+3])
		if m == 0xee && n >= 7 && i+4+5 <= len(data) && string(data[i+4:i+9]) == "Adobe" {
			return true
		}
		i += 2 + n
	}
	return false
}

func loadPNG(data []byte) (*pdfImage, error) {
	const op = "pdf: read image"
	cfg, err := png.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, &errs.Error{Kind: errs.Invalid, Op: op, Message: "the PNG image is damaged", Err: err}
	}
	if err := checkDims(cfg.Width, cfg.Height); err != nil {
		return nil, err
	}
	m, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, &errs.Error{Kind: errs.Invalid, Op: op, Message: "the PNG image is damaged", Err: err}
	}
	b := m.Bounds()
	w, h := b.Dx(), b.Dy()
	gray := false
	switch m.(type) {
	case *image.Gray, *image.Gray16:
		gray = true
	}
	comps := 3
	if gray {
		comps = 1
	}
	pix := make([]byte, 0, w*h*comps)
	alpha := make([]byte, 0, w*h)
	opaque := true
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := color.NRGBAModel.Convert(m.At(x, y)).(color.NRGBA)
			if gray {
				pix = append(pix, c.R)
			} else {
				pix = append(pix, c.R, c.G, c.B)
			}
			alpha = append(alpha, c.A)
			if c.A != 0xff {
				opaque = false
			}
		}
	}
	img := &pdfImage{width: w, height: h}
	cs := "/DeviceRGB"
	if gray {
		cs = "/DeviceGray"
	}
	img.data = deflateOnce(pix)
	img.dict = "/Type /XObject /Subtype /Image /Width " + itoa(w) + " /Height " + itoa(h) +
		" /ColorSpace " + cs + " /BitsPerComponent 8 /Filter /FlateDecode"
	if !opaque {
		img.mask = deflateOnce(alpha)
	}
	return img, nil
}

// deflateOnce compresses data for a template, where size matters more
// than time: it happens once per compiled template.
func deflateOnce(data []byte) []byte {
	var buf bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&buf, zlib.BestCompression)
	zw.Write(data)
	zw.Close()
	return buf.Bytes()
}

func itoa(v int) string { return string(appendInt(nil, v)) }
