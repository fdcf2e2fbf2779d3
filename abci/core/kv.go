package core

import (
	"bytes"
	"errors"
	"slices"
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
	base Reader
	// staged holds the writes in the order their keys were first written (each key once,
	// with its last value): execution is deterministic, so this order is too, and no
	// sort is needed.
	staged []Write
	index  map[string]int // key → position in staged
}

func newOverlay(base Reader) *overlay {
	return &overlay{base: base, index: make(map[string]int)}
}

func (o *overlay) get(key []byte) ([]byte, error) {
	if i, ok := o.index[string(key)]; ok {
		if o.staged[i].Delete {
			return nil, ErrNotFound
		}
		return o.staged[i].Value, nil
	}
	return o.base.Get(key)
}

func (o *overlay) set(key, value []byte) { o.stage(Write{Key: key, Value: value}) }

func (o *overlay) delete(key []byte) { o.stage(Write{Key: key, Delete: true}) }

func (o *overlay) stage(w Write) {
	if i, ok := o.index[string(w.Key)]; ok {
		w.Key = o.staged[i].Key
		o.staged[i] = w
		return
	}
	w.Key = bytes.Clone(w.Key)
	o.index[string(w.Key)] = len(o.staged)
	o.staged = append(o.staged, w)
}

// writes returns the staged writes, each key once, in the deterministic order of first
// writing.
func (o *overlay) writes() []Write { return slices.Clone(o.staged) }

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
