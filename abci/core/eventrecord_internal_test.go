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
