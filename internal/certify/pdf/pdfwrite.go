package pdf

import (
	"math"
	"strconv"
)

// pdfHeader opens every file: the version and a comment of high bytes that
// marks the file as binary for transfer programs.
const pdfHeader = "%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"

// appendInt appends v in decimal.
func appendInt(dst []byte, v int) []byte { return strconv.AppendInt(dst, int64(v), 10) }

// appendNum appends v as a PDF real with at most three decimals and no
// exponent: 12.5, -0.125, 3.
func appendNum(dst []byte, v float64) []byte {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return append(dst, '0')
	}
	n := math.Round(v * 1000)
	if n == 0 {
		return append(dst, '0')
	}
	if n < 0 {
		dst = append(dst, '-')
		n = -n
	}
	if n >= 1e15 {
		return strconv.AppendFloat(dst, n/1000, 'f', 0, 64)
	}
	i := int64(n)
	dst = strconv.AppendInt(dst, i/1000, 10)
	if frac := i % 1000; frac != 0 {
		dst = append(dst, '.')
		d := [3]byte{byte('0' + frac/100), byte('0' + frac/10%10), byte('0' + frac%10)}
		k := 3
		for d[k-1] == '0' {
			k--
		}
		dst = append(dst, d[:k]...)
	}
	return dst
}

// appendColour appends "r g b" for a 0xRRGGBB colour and op (rg or RG).
func appendColour(dst []byte, c uint32, op string) []byte {
	for i, shift := range [3]int{16, 8, 0} {
		if i > 0 {
			dst = append(dst, ' ')
		}
		dst = appendNum(dst, float64(c>>shift&0xff)/255)
	}
	dst = append(dst, ' ')
	return append(dst, op...)
}

// appendTextString appends s as a PDF text string: UTF-16BE with a byte
// order mark, in hex, which needs no escaping.
func appendTextString(dst []byte, s string) []byte {
	dst = append(dst, "<FEFF"...)
	dst = appendUTF16Hex(dst, s, 1<<20)
	return append(dst, '>')
}

// objWriter assembles the objects of one file and remembers where each
// starts, for the cross-reference table.
type objWriter struct {
	buf     []byte
	base    int   // bytes written before buf
	offsets []int // by object number; 0 is the free head
}

// reset prepares for a file with size objects (numbered 1..size-1), whose
// first base bytes are written separately.
func (w *objWriter) reset(size, base int) {
	w.buf = w.buf[:0]
	w.base = base
	if cap(w.offsets) < size {
		w.offsets = make([]int, size)
	}
	w.offsets = w.offsets[:size]
	clear(w.offsets)
}

// grow makes room for objects up to number n.
func (w *objWriter) grow(n int) {
	for len(w.offsets) <= n {
		w.offsets = append(w.offsets, 0)
	}
}

// begin starts object n.
func (w *objWriter) begin(n int) {
	w.grow(n)
	w.offsets[n] = w.base + len(w.buf)
	w.buf = appendInt(w.buf, n)
	w.buf = append(w.buf, " 0 obj\n"...)
}

// end closes the current object.
func (w *objWriter) end() { w.buf = append(w.buf, "\nendobj\n"...) }

// stream writes object n as a stream with the given extra dictionary
// entries (without brackets) and data.
func (w *objWriter) stream(n int, dict string, data []byte) { w.streamLen1(n, -1, dict, data) }

// streamLen1 is stream with a /Length1 entry (the length of a font
// program before compression) unless length1 is negative.
func (w *objWriter) streamLen1(n, length1 int, dict string, data []byte) {
	w.begin(n)
	w.buf = append(w.buf, "<< /Length "...)
	w.buf = appendInt(w.buf, len(data))
	if length1 >= 0 {
		w.buf = append(w.buf, " /Length1 "...)
		w.buf = appendInt(w.buf, length1)
	}
	if dict != "" {
		w.buf = append(w.buf, ' ')
		w.buf = append(w.buf, dict...)
	}
	w.buf = append(w.buf, " >>\nstream\n"...)
	w.buf = append(w.buf, data...)
	w.buf = append(w.buf, "\nendstream"...)
	w.end()
}

// finish writes the cross-reference table and trailer. Objects never begun
// are listed as free.
func (w *objWriter) finish(root, info int, id []byte) {
	xref := w.base + len(w.buf)
	w.buf = append(w.buf, "xref\n0 "...)
	w.buf = appendInt(w.buf, len(w.offsets))
	w.buf = append(w.buf, "\n0000000000 65535 f \n"...)
	for _, off := range w.offsets[1:] {
		if off == 0 {
			w.buf = append(w.buf, "0000000000 65535 f \n"...)
			continue
		}
		w.buf = appendPadded(w.buf, off, 10)
		w.buf = append(w.buf, " 00000 n \n"...)
	}
	w.buf = append(w.buf, "trailer\n<< /Size "...)
	w.buf = appendInt(w.buf, len(w.offsets))
	w.buf = append(w.buf, " /Root "...)
	w.buf = appendInt(w.buf, root)
	w.buf = append(w.buf, " 0 R /Info "...)
	w.buf = appendInt(w.buf, info)
	w.buf = append(w.buf, " 0 R /ID [<"...)
	w.buf = appendHexBytes(w.buf, id)
	w.buf = append(w.buf, "> <"...)
	w.buf = appendHexBytes(w.buf, id)
	w.buf = append(w.buf, ">] >>\nstartxref\n"...)
	w.buf = appendInt(w.buf, xref)
	w.buf = append(w.buf, "\n%%EOF\n"...)
}

// appendPadded appends v in decimal, zero-padded to width digits.
func appendPadded(dst []byte, v, width int) []byte {
	var d [20]byte
	i := len(d)
	for v > 0 || i == len(d) {
		i--
		d[i] = byte('0' + v%10)
		v /= 10
	}
	for range width - (len(d) - i) {
		dst = append(dst, '0')
	}
	return append(dst, d[i:]...)
}

func appendHexBytes(dst, b []byte) []byte {
	for _, c := range b {
		dst = append(dst, hexDigits[c>>4], hexDigits[c&15])
	}
	return dst
}
