package topology_test

import (
	"testing"

	"github.com/cometsync/cometsync/crypto"
	"github.com/cometsync/cometsync/topology"
)

// The expected values were computed independently with the Python of seed 004:
//
//	b = hashlib.sha256(); b.update((37).to_bytes(4, "big"))
//	for o in sorted(owners): b.update(len(o).to_bytes(4, "big")); b.update(o.encode())
//	"1220" + b.hexdigest()
func TestDecentralizedNamespaceVector(t *testing.T) {
	a := crypto.Fingerprint("1220" + repeat("aa", 32))
	b := crypto.Fingerprint("1220" + repeat("bb", 32))
	c := crypto.Fingerprint("1220" + repeat("0c", 32))
	for _, tc := range []struct {
		owners []crypto.Fingerprint
		want   crypto.Fingerprint
	}{
		{[]crypto.Fingerprint{b, c, a}, "1220fd0ea0e8b2bbf339c1f827190ff62216e55d9c934ad4f140f30eae55dcb38949"},
		{[]crypto.Fingerprint{a, b, c}, "1220fd0ea0e8b2bbf339c1f827190ff62216e55d9c934ad4f140f30eae55dcb38949"},
		{[]crypto.Fingerprint{a}, "1220c763e9b94bac51d644cc8df9ebc1458b4a38690b5d1536beb7f65e63cd3c7b2c"},
	} {
		if got := topology.DecentralizedNamespace(tc.owners); got != tc.want {
			t.Errorf("DecentralizedNamespace(%v) = %s, want %s", tc.owners, got, tc.want)
		}
	}
}

func repeat(s string, n int) string {
	out := ""
	for range n {
		out += s
	}
	return out
}
