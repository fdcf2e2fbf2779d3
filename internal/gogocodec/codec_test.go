package gogocodec_test

import (
	"bytes"
	"testing"

	"google.golang.org/grpc/encoding"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/cometsync/cometsync/internal/gogocodec"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
)

// TestSameBytesAsTheDefaultCodec checks that the codec puts on the wire exactly what
// gRPC's default codec does, for small messages and for ones in pooled buffers, and that
// each decodes what the other encoded.
func TestSameBytesAsTheDefaultCodec(t *testing.T) {
	c, def := gogocodec.New(), encoding.GetCodecV2("proto")
	for _, size := range []int{0, 10, 1 << 10, 100 << 10} {
		msg := &pb.SubscribeResponse{Events: []*pb.SequencedEvent{{
			Counter: 7, TimestampMicros: 1_700_000_000_000_000, Kind: pb.EventKind_EVENT_KIND_DELIVER, MessageId: "m",
			Batch: &pb.Batch{Envelopes: []*pb.Envelope{{Content: bytes.Repeat([]byte{0xab}, size), Recipients: []*pb.Recipient{{Member: "PAR::a::1220"}}}}},
		}}}
		ours, err := c.Marshal(msg)
		if err != nil {
			t.Fatal(err)
		}
		theirs, err := def.Marshal(msg)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(ours.Materialize(), theirs.Materialize()) {
			t.Fatalf("payload %d: encodings differ", size)
		}
		var back pb.SubscribeResponse
		back.Events = []*pb.SequencedEvent{{Counter: 99}} // must not survive: Unmarshal replaces
		if err := c.Unmarshal(theirs, &back); err != nil {
			t.Fatal(err)
		}
		ours.Free()
		theirs.Free()
		want, _ := msg.Marshal()
		got, _ := back.Marshal()
		if len(back.Events) != 1 || !bytes.Equal(got, want) {
			t.Fatalf("payload %d: decoded %v", size, back.Events)
		}
	}
}

// TestOtherMessagesUseTheDefaultCodec sends a message of the health service (generated
// by protoc-gen-go, without gogoproto's methods) through the codec.
func TestOtherMessagesUseTheDefaultCodec(t *testing.T) {
	c := gogocodec.New()
	in := &healthpb.HealthCheckResponse{Status: healthpb.HealthCheckResponse_SERVING}
	data, err := c.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var out healthpb.HealthCheckResponse
	if err := c.Unmarshal(data, &out); err != nil {
		t.Fatal(err)
	}
	if out.Status != in.Status {
		t.Fatalf("status %v, want %v", out.Status, in.Status)
	}
	if c.Name() != "proto" {
		t.Fatalf("name %q: peers with the default codec would not match", c.Name())
	}
}
