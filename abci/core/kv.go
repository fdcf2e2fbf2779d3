package core

import (
	"bytes"
	"errors"
	"sort"
)

// ErrNotFound is returned by Reader.Get for an absent key.
var ErrNotFound = errors.New("key not found")

// Reader is read access to the committed application state. Implementations must be a
// consistent snapshot for the duration of one Execute or Check call.
type Reader interface {
	// Get returns the value of key or ErrNotFound.
	Get(key []byte) ([]byte, error)
	// Iterate calls fn for every key with the given prefix that is >= start, in ascending
	// key order, until fn returns false or an error.
	Iterate(prefix, start []byte, fn func(key, value []byte) (bool, error)) error
}

// Write is one staged change: a Set, or a Delete when Delete is true.
type Write struct {
	Key    []byte
	Value  []byte
	Delete bool
}

// overlay stages writes over a Reader. Reads see the staged writes first.
type overlay struct {
	base    Reader
	pending map[string]Write
}

func newOverlay(base Reader) *overlay {
	return &overlay{base: base, pending: make(map[string]Write)}
}

func (o *overlay) get(key []byte) ([]byte, error) {
	if w, ok := o.pending[string(key)]; ok {
		if w.Delete {
			return nil, ErrNotFound
		}
		return w.Value, nil
	}
	return o.base.Get(key)
}

func (o *overlay) set(key, value []byte) {
	o.pending[string(key)] = Write{Key: bytes.Clone(key), Value: value}
}

func (o *overlay) delete(key []byte) {
	o.pending[string(key)] = Write{Key: bytes.Clone(key), Delete: true}
}

// writes returns the staged writes sorted by key, so that the order is deterministic.
func (o *overlay) writes() []Write {
	out := make([]Write, 0, len(o.pending))
	for _, w := range o.pending {
		out = append(out, w)
	}
	sort.Slice(out, func(i, j int) bool { return bytes.Compare(out[i].Key, out[j].Key) < 0 })
	return out
}

// MemReader is an in-memory Reader for tests and tools. The zero value is empty.
type MemReader struct {
	m map[string][]byte
}

// NewMemReader returns an empty in-memory store.
func NewMemReader() *MemReader { return &MemReader{m: make(map[string][]byte)} }

// Get implements Reader.
func (r *MemReader) Get(key []byte) ([]byte, error) {
	v, ok := r.m[string(key)]
	if !ok {
		return nil, ErrNotFound
	}
	return v, nil
}

// Iterate implements Reader.
func (r *MemReader) Iterate(prefix, start []byte, fn func(key, value []byte) (bool, error)) error {
	keys := make([]string, 0)
	for k := range r.m {
		if bytes.HasPrefix([]byte(k), prefix) && bytes.Compare([]byte(k), start) >= 0 {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		more, err := fn([]byte(k), r.m[k])
		if err != nil || !more {
			return err
		}
	}
	return nil
}

// Apply writes ws into the store, as Commit does for badger.
func (r *MemReader) Apply(ws []Write) {
	if r.m == nil {
		r.m = make(map[string][]byte)
	}
	for _, w := range ws {
		if w.Delete {
			delete(r.m, string(w.Key))
		} else {
			r.m[string(w.Key)] = bytes.Clone(w.Value)
		}
	}
}
