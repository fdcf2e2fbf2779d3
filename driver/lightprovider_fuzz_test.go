package driver

import "testing"

// FuzzDecodeLightBlock: whatever bytes a node sends as a light block, decoding returns a
// block or an error, and a decoded block's validation answers without panicking.
func FuzzDecodeLightBlock(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		lb, err := decodeLightBlock(b)
		if err != nil {
			return
		}
		_ = lb.ValidateBasic("c")
	})
}
