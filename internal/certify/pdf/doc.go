// Package pdf renders certificates as PDF files: vector pages with
// correctly shaped Indic text, embedded font subsets, images and a vector
// QR code, fast enough to issue thousands of certificates a second.
//
// # Use
//
// A Template (JSON) places text, images, a QR code, lines and rectangles
// on a page, in millimetres from the top-left corner. Compile checks it
// against the authority's assets, fonts and the certificate type's fields
// and prepares everything that does not change between certificates;
// (*Compiled).Render then writes one complete PDF per certificate, from a
// map of field values and the QR payload, and may be called from many
// goroutines at once. Sample gives preview values for a template's fields.
//
// # Text
//
// Text is shaped with go-text/typesetting, a Go port of HarfBuzz, so
// conjuncts, reordered i-matra, reph and nukta come out as a reader
// expects; a test compares the shaping with hb-shape's. A text is split
// into runs by script (characters of no script of their own, such as
// spaces, digits and most punctuation, stay with the run they are in) and
// each run goes to the first font of its family that has its characters:
// the authority's font if the template names one, then Noto Sans, then
// Noto Sans Devanagari, in the weight asked for. A character none of them
// has is an error rather than a blank box on a signed certificate, and so
// is right-to-left text, which is not supported yet. Lines break at
// spaces; a text that must fit its box (shrink, or a line limit) and does
// not, even at the smallest size allowed, is an error too.
//
// Glyphs are placed where the shaper puts them: each line is one text
// object of TJ arrays whose adjustments are the differences between the
// shaped advances and the fonts' own widths, and whose vertical mark
// offsets are text rise. Each line is wrapped in a marked-content span
// whose ActualText is the line as given, so that copying or extracting
// text yields the original characters in their logical order, which the
// glyphs of Indic scripts (in visual order, some standing for several
// characters) cannot give on their own. For readers that ignore
// ActualText, each font's ToUnicode map gives every glyph the characters
// it stands for: a syllable of several glyphs (a half form, a reordered
// i-matra, a reph) is shaped again at HarfBuzz's finest cluster level,
// which tells the first character of each glyph, so every character is
// given to one glyph (the text then comes out complete but in visual
// order). The answer per syllable is cached per font.
//
// # QR code
//
// The QR code is encoded as rsc.io/qr encodes it (the smallest version
// for the payload at the template's error-correction level, M by default;
// mask pattern 0, as that package always uses) and drawn as vector
// rectangles, one per horizontal run of dark modules, all in one path
// filled once, on a light square that includes the four-module quiet zone.
//
// # Fonts and subsetting
//
// Fonts are embedded as Type 0 fonts with a CIDFontType2 descendant,
// Identity-H encoding and /CIDToGIDMap /Identity: the codes in the content
// stream are glyph ids, which is what shaping produces. Each file embeds,
// per font, a subset holding only the glyphs it draws (plus .notdef and
// the components of composite glyphs) at their original ids: a glyf table
// with just those outlines, a loca table as long as the highest id used
// plus one (so the ids stay valid without a CIDToGIDMap stream), and
// head, hhea, hmtx and maxp cut to that length. Layout tables (GSUB, GPOS)
// are not needed after shaping and cmap is not needed with Identity
// encoding, so they are dropped; the hinting instructions (fpgm, prep,
// cvt and each glyph's own) are dropped too, since PDF viewers render
// without them. The subset's name carries a six-letter tag derived from
// its glyph set, and the descriptor gives the font's flags, bounding box,
// ascent, descent, cap height, italic angle and an estimated stem width.
// Authority fonts must be TrueType-outline fonts (.ttf) whose licence
// allows embedding subsets.
//
// # PDF backgrounds
//
// A template's background may be a PDF file (an asset whose bytes start
// with %PDF-) rather than an image, as issuing authorities often have
// their artwork. Compile reads it with pdfcpu (cross-reference streams,
// object streams and the usual filters are understood) and takes its
// first page; further pages are ignored. The page becomes a Form XObject
// in the prefix: its content streams decoded, joined and compressed as
// one stream, its crop box (else media box) as /BBox, its resources,
// inherited from the page tree if need be, and a /Matrix that maps the
// box, turned as /Rotate asks, onto the unit square, so that the form is
// stretched over the whole page as an image background is, and drawn
// first. Every object the resources reach (fonts, images, graphics
// states, patterns, shadings, nested forms) is copied with a new number
// following the image objects; streams are copied still encoded.
// References to pages, the page tree, the catalog or annotations become
// null and /Parent entries are dropped, so nothing the page does not use
// (the source's /Info, other pages, annotations) is copied. Encrypted
// files, files with no pages, damaged files, pages turned by other than
// a multiple of 90 degrees, and pages whose content decodes to more than
// 16 MB or that reach more than 20,000 objects are refused. Before
// pdfcpu reads a file, every Flate stream in it is inflated into nothing
// and counted, and a file whose streams come to more than 256 MB is
// refused, since pdfcpu inflates object and cross-reference streams whole;
// LZW, which could inflate as much, is refused outright. Reading is given
// ten seconds, checked between objects. Preview
// cannot draw a PDF page: it leaves the background white, and
// (*Compiled).HasPDFBackground says so.
//
// # Preview
//
// (*Compiled).Preview draws a certificate as a PNG image, in Go alone, for
// a template editor: the text is shaped, broken into lines and fitted by
// the code Render uses, so the preview shows what the PDF shows and fails
// where Render fails, with the same errors. Glyph outlines come from the
// fonts' glyf data, composite glyphs resolved as FreeType resolves them,
// and are filled with anti-aliasing by golang.org/x/image/vector at the
// positions the PDF gives them; rectangles get each pixel's exact
// coverage; images are scaled with golang.org/x/image/draw (bilinear,
// after halving by averaging while more than twice too large). Tests
// compare previews with pdftoppm's rendering of the PDF. A preview of the
// typical certificate, 1200 pixels wide, takes tens of milliseconds,
// most of them decoding and scaling the background and compressing the
// PNG, which are split over the processors.
//
// # Speed
//
// A certificate's file is mostly the same from one certificate to the
// next, so Compile does the shared work once: images are encoded (JPEG
// passed through, PNG decoded to Flate-compressed RGB with a soft mask for
// transparency) and written into a prefix copied into every file, static
// text is shaped and laid out, and static drawing is compressed. Rendering
// shapes the data, encodes the QR code (its module layout per version and
// level is cached), and writes the content stream, fonts and
// cross-reference table. Shaped values that recur (a course name, a date)
// are cached per template.
//
// Compression uses a small deflate encoder of this package (zflate.go)
// rather than compress/flate, whose per-stream set-up costs tens of
// microseconds: a certificate has a dozen streams. Each stream is one
// dynamic-Huffman block with a code built in advance (one for content
// streams, one per font), and data that never changes — each glyph's
// outline, the static page content — is compressed once and spliced into
// each stream as a bit string. Render allocates little: its scratch space
// is kept per template in a pool that garbage collection does not empty.
package pdf
