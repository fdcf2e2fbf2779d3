package core

import (
	"bytes"
	"testing"

	pb "github.com/cometsync/cometsync/proto/sequencerpb"
)

// TestEventRecordEncoding checks that the record the block writes is EventRefs.Marshal's
// encoding, for entries whose lengths need one- and two-byte varints.
func TestEventRecordEncoding(t *testing.T) {
	refs := []*pb.EventRef{
		{TimestampMicros: 1, Kind: pb.EventKind_EVENT_KIND_DELIVER, EnvelopeIndexes: []uint32{0}},
		{TimestampMicros: 2, Kind: pb.EventKind_EVENT_KIND_DELIVER_ERROR, MessageId: "m", ErrorReason: string(bytes.Repeat([]byte{'x'}, 300))},
		{},
	}
	var encoded [][]byte
	for _, r := range refs {
		encoded = append(encoded, mustMarshal(r))
	}
	want := mustMarshal(&pb.EventRefs{Refs: refs})
	if got := encodeEventRecord(encoded); !bytes.Equal(got, want) {
		t.Fatalf("record %x, want %x", got, want)
	}
}

// TestExpiryRecordEncoding writes a block's expiry record and reads its dedupe keys
// back, and checks that damaged records are reported rather than half read.
func TestExpiryRecordEncoding(t *testing.T) {
	x := &execution{ov: newOverlay(NewMemReader())}
	keys := [][]byte{keyDedupe("PAR::a::1220ab", "m1"), keyDedupe("PAR::b::1220cd", string(bytes.Repeat([]byte{'x'}, 200)))}
	for i, k := range keys {
		x.expiring = append(x.expiring, k)
		x.maxExpiry = max(x.maxExpiry, int64(100+i))
	}
	x.writeExpiring(7)
	record, err := x.ov.get(keyExpiryRecord(101, 7))
	if err != nil {
		t.Fatalf("no record under the latest expiry: %v", err)
	}
	var got [][]byte
	if err := forEachExpiring(record, func(k []byte) error { got = append(got, bytes.Clone(k)); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || !bytes.Equal(got[0], keys[0]) || !bytes.Equal(got[1], keys[1]) {
		t.Fatalf("read back %q", got)
	}
	for _, bad := range [][]byte{
		record[:len(record)-1],         // cut short
		{0x00},                         // empty key
		{0x05, 'D', 'a'},               // length past the end
		{0x02, 'X', 'a'},               // not a dedupe key
		append([]byte{0x80}, 'D', 'a'), // two-byte length past the end
	} {
		if err := forEachExpiring(bad, func([]byte) error { return nil }); err == nil {
			t.Errorf("record %x read without an error", bad)
		}
	}
}
