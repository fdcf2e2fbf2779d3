package topology

import (
	"cmp"
	"math"

	pb "github.com/cometsync/cometsync/proto/topologypb"
)

// Forever is the ValidUntil of a transaction that nothing supersedes yet.
const Forever int64 = math.MaxInt64

// entry is an accepted transaction with its validity: it is part of the snapshot at t
// when from < t <= until and it is not a REMOVE.
type entry struct {
	stx   *SignedTransaction
	seq   int64
	from  int64
	until int64
}

func (e *entry) tx() *Transaction             { return e.stx.Tx }
func (e *entry) key() UniqueKey               { return e.stx.Tx.key }
func (e *entry) removed() bool                { return e.stx.Tx.IsRemove() }
func (e *entry) mapping() *pb.TopologyMapping { return e.stx.Tx.mapping() }

// activeAt reports whether the entry is a mapping in force at t.
func (e *entry) activeAt(t int64) bool { return !e.removed() && e.from < t && t <= e.until }

// compareEntries orders entries canonically: by sequencing time, unique key, serial.
func compareEntries(a, b *entry) int {
	switch {
	case a.seq != b.seq:
		return cmp.Compare(a.seq, b.seq)
	case a.key() != b.key():
		if a.key().Less(b.key()) {
			return -1
		}
		return 1
	}
	return cmp.Compare(int64(a.tx().Serial()), int64(b.tx().Serial()))
}
