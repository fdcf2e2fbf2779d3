package ledger

import (
	"encoding/binary"
	"fmt"
	"slices"
	"unicode/utf8"
)

// The canonical binary encoding: fixed-width big-endian integers, strings and lists
// prefixed by a 4-byte length or count, records and party sets sorted. Every value has
// exactly one encoding, and the decoders reject any other, so equal trees have equal bytes
// and decode(encode(x)) re-encodes to the same bytes.

// encodingVersion is the first byte of every top-level encoding.
const encodingVersion = 1

// maxDecodeDepth bounds the nesting of nodes and values in decoded input.
const maxDecodeDepth = 64

type encoder struct{ b []byte }

func (e *encoder) u8(v uint8)   { e.b = append(e.b, v) }
func (e *encoder) u32(v uint32) { e.b = binary.BigEndian.AppendUint32(e.b, v) }
func (e *encoder) u64(v uint64) { e.b = binary.BigEndian.AppendUint64(e.b, v) }
func (e *encoder) str(s string) { e.u32(uint32(len(s))); e.b = append(e.b, s...) }
func (e *encoder) boolean(v bool) {
	if v {
		e.u8(1)
	} else {
		e.u8(0)
	}
}

type decoder struct {
	b     []byte
	depth int
	err   error
}

func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: %s", ErrMalformedEncoding, fmt.Sprintf(format, args...))
	}
}

func (d *decoder) take(n int) []byte {
	if d.err != nil {
		return nil
	}
	if n < 0 || n > len(d.b) {
		d.fail("truncated: need %d bytes, have %d", n, len(d.b))
		return nil
	}
	out := d.b[:n]
	d.b = d.b[n:]
	return out
}

func (d *decoder) u8() uint8 {
	if b := d.take(1); b != nil {
		return b[0]
	}
	return 0
}

func (d *decoder) u32() uint32 {
	if b := d.take(4); b != nil {
		return binary.BigEndian.Uint32(b)
	}
	return 0
}

func (d *decoder) u64() uint64 {
	if b := d.take(8); b != nil {
		return binary.BigEndian.Uint64(b)
	}
	return 0
}

func (d *decoder) boolean() bool {
	switch v := d.u8(); v {
	case 0:
		return false
	case 1:
		return true
	default:
		d.fail("boolean byte %d", v)
		return false
	}
}

func (d *decoder) str() string {
	n := d.u32()
	b := d.take(int(n))
	if d.err == nil && !utf8.Valid(b) {
		d.fail("string is not UTF-8")
	}
	return string(b)
}

// count reads a list length and checks it against the remaining input, each element taking
// at least one byte, so that a forged length cannot make the decoder allocate.
func (d *decoder) count() int {
	n := d.u32()
	if d.err == nil && int64(n) > int64(len(d.b)) {
		d.fail("count %d exceeds remaining %d bytes", n, len(d.b))
		return 0
	}
	return int(n)
}

func (d *decoder) enter() bool {
	d.depth++
	if d.depth > maxDecodeDepth {
		d.fail("nested deeper than %d", maxDecodeDepth)
	}
	return d.err == nil
}

func (d *decoder) leave() { d.depth-- }

func (d *decoder) finish() error {
	if d.err == nil && len(d.b) != 0 {
		d.fail("%d trailing bytes", len(d.b))
	}
	return d.err
}

func (d *decoder) version() {
	if v := d.u8(); d.err == nil && v != encodingVersion {
		d.fail("unsupported encoding version %d", v)
	}
}

func (e *encoder) parties(s PartySet) {
	e.u32(uint32(len(s)))
	for _, p := range s {
		e.str(string(p))
	}
}

func (d *decoder) parties() PartySet {
	n := d.count()
	var out PartySet
	for i := 0; i < n && d.err == nil; i++ {
		p := Party(d.str())
		if err := ValidateParty(p); err != nil && d.err == nil {
			d.fail("%v", err)
		}
		out = append(out, p)
	}
	if d.err == nil && !out.isCanonical() {
		d.fail("party set not sorted and distinct")
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
