package ledger

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// MaxCommandSize bounds the size in bytes of a JSON command.
const MaxCommandSize = 1 << 20

// jnode is a parsed JSON value. Unlike encoding/json's maps it rejects duplicate keys and
// keeps numbers as their literal text, so that no value ever passes through a float.
type jnode struct {
	kind byte // '{', '[', 's' string, 'n' number, 'b' bool, '0' null
	obj  map[string]*jnode
	arr  []*jnode
	text string // string contents or number literal
	b    bool
}

func (n *jnode) describe() string {
	switch n.kind {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case 's':
		return fmt.Sprintf("string %q", n.text)
	case 'n':
		return "number " + n.text
	case 'b':
		return fmt.Sprint(n.b)
	}
	return "null"
}

// parseJSON parses exactly one JSON value.
func parseJSON(data []byte) (*jnode, error) {
	if len(data) > MaxCommandSize {
		return nil, fmt.Errorf("%d bytes exceed %d", len(data), MaxCommandSize)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	n, err := readJSON(dec, 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("trailing data after the JSON value")
	}
	return n, nil
}

func readJSON(dec *json.Decoder, depth int) (*jnode, error) {
	if depth > maxDecodeDepth {
		return nil, fmt.Errorf("nested deeper than %d", maxDecodeDepth)
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		if t == '{' {
			return readObject(dec, depth)
		}
		if t == '[' {
			return readArray(dec, depth)
		}
		return nil, fmt.Errorf("unexpected %q", t)
	case string:
		return &jnode{kind: 's', text: t}, nil
	case json.Number:
		return &jnode{kind: 'n', text: string(t)}, nil
	case bool:
		return &jnode{kind: 'b', b: t}, nil
	case nil:
		return &jnode{kind: '0'}, nil
	}
	return nil, fmt.Errorf("unexpected token %v", tok)
}

func readObject(dec *json.Decoder, depth int) (*jnode, error) {
	n := &jnode{kind: '{', obj: map[string]*jnode{}}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key, _ := tok.(string)
		if _, dup := n.obj[key]; dup {
			return nil, fmt.Errorf("duplicate key %q", key)
		}
		if n.obj[key], err = readJSON(dec, depth+1); err != nil {
			return nil, err
		}
	}
	_, err := dec.Token() // '}'
	return n, err
}

func readArray(dec *json.Decoder, depth int) (*jnode, error) {
	n := &jnode{kind: '['}
	for dec.More() {
		e, err := readJSON(dec, depth+1)
		if err != nil {
			return nil, err
		}
		n.arr = append(n.arr, e)
	}
	_, err := dec.Token() // ']'
	return n, err
}
