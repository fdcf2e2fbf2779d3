package ledgerapi_test

import (
	"context"
	"fmt"
	"io"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	pb "github.com/cometsync/cometsync/proto/ledgerapipb"
)

// summary renders an update as "offset +created -archived" with contract ids shortened
// by the names in names.
func summary(u *pb.Update, names map[string]string) string {
	s := fmt.Sprint(u.Offset)
	for _, c := range u.Created {
		s += " +" + names[c.ContractId]
	}
	for _, id := range u.Archived {
		s += " -" + names[id]
	}
	return s
}

func (e *env) names(t *testing.T) map[string]string {
	t.Helper()
	names := map[string]string{}
	e.backend.mu.Lock()
	defer e.backend.mu.Unlock()
	for id, c := range e.backend.all {
		names[string(id)] = fmt.Sprintf("%s(%s)", c.Template.Name, c.Arguments["amount"])
	}
	return names
}

func TestUpdatesFilteredAndFollowed(t *testing.T) {
	e := newEnv(t, nil)
	e.scenario(t)
	ctx, cancel := context.WithCancel(as(t, "alice"))
	defer cancel()
	stream, err := e.upd.GetUpdates(ctx, &pb.GetUpdatesRequest{})
	if err != nil {
		t.Fatal(err)
	}
	recv := func() string {
		t.Helper()
		u, err := stream.Recv()
		if err != nil {
			t.Fatalf("recv: %v", err)
		}
		return summary(u, e.names(t))
	}
	// Alice sees the proposal to her, its acceptance (proposal archived, Iou created) but
	// not the proposal to bob at offset 3.
	for _, want := range []string{"1 +IouProposal(10.0)", "2 +Iou(10.0) -IouProposal(10.0)"} {
		if got := recv(); got != want {
			t.Fatalf("got %q, want %q", got, want)
		}
	}
	// The stream follows: 4 (bob's again, invisible) is skipped, 5 arrives.
	e.submit(t, "bank", proposeJSON(bank, bob, "4"))
	e.submit(t, "bank", proposeJSON(bank, alice, "5"))
	if got, want := recv(), "5 +IouProposal(5.0)"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	cancel()
	if _, err := stream.Recv(); err == nil {
		t.Fatal("stream still open after cancel")
	}
}

func TestUpdatesPerReader(t *testing.T) {
	e := newEnv(t, nil)
	e.scenario(t)
	tests := []struct {
		user    string
		parties []string
		from    int64
		want    []string
	}{
		{"bob", nil, 0, []string{"3 +IouProposal(20.0)"}},
		{"auditor", nil, 2, []string{"2 +Iou(10.0) -IouProposal(10.0)"}},
		{"participant_admin", nil, 2, []string{"2 +Iou(10.0) -IouProposal(10.0)", "3 +IouProposal(20.0)"}},
		{"participant_admin", []string{string(bob)}, 1, []string{"3 +IouProposal(20.0)"}},
		{"bank", []string{string(alice)}, 0, nil}, // PermissionDenied
	}
	for _, tt := range tests {
		t.Run(tt.user, func(t *testing.T) {
			ctx, cancel := context.WithCancel(as(t, tt.user))
			defer cancel()
			stream, err := e.upd.GetUpdates(ctx, &pb.GetUpdatesRequest{BeginOffset: tt.from, Parties: tt.parties})
			if err != nil {
				t.Fatal(err)
			}
			if tt.want == nil {
				_, err := stream.Recv()
				wantCode(t, err, codes.PermissionDenied, "user bank lacks CanReadAs(Alice::1220bb)")
				return
			}
			names := e.names(t)
			for _, want := range tt.want {
				u, err := stream.Recv()
				if err != nil {
					t.Fatal(err)
				}
				if got := summary(u, names); got != want {
					t.Fatalf("got %q, want %q", got, want)
				}
			}
		})
	}
}

func TestUpdatesUpToEndOffset(t *testing.T) {
	e := newEnv(t, nil)
	e.scenario(t)
	// Offset 3 is invisible to alice: the stream still ends after it.
	stream, err := e.upd.GetUpdates(as(t, "alice"), &pb.GetUpdatesRequest{BeginOffset: 2, EndOffset: 3})
	if err != nil {
		t.Fatal(err)
	}
	u, err := stream.Recv()
	if err != nil || u.Offset != 2 {
		t.Fatalf("got %v, %v; want offset 2", u, err)
	}
	if u, err := stream.Recv(); err != io.EOF {
		t.Fatalf("got %v, %v; want the end of the stream", u, err)
	}
	// An end before the start is an empty stream.
	stream, err = e.upd.GetUpdates(as(t, "alice"), &pb.GetUpdatesRequest{BeginOffset: 3, EndOffset: 2})
	if err != nil {
		t.Fatal(err)
	}
	if u, err := stream.Recv(); err != io.EOF {
		t.Fatalf("got %v, %v; want the end of the stream", u, err)
	}
}

func TestUpdatesNegativeOffset(t *testing.T) {
	e := newEnv(t, nil)
	stream, err := e.upd.GetUpdates(as(t, "alice"), &pb.GetUpdatesRequest{BeginOffset: -1})
	if err != nil {
		t.Fatal(err)
	}
	_, err = stream.Recv()
	wantCode(t, err, codes.InvalidArgument, "begin_offset -1 is negative")
}

func TestUpdatesDeadline(t *testing.T) {
	e := newEnv(t, nil)
	ctx, cancel := context.WithTimeout(as(t, "alice"), 50*time.Millisecond)
	defer cancel()
	stream, err := e.upd.GetUpdates(ctx, &pb.GetUpdatesRequest{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = stream.Recv() // nothing committed: waits until the deadline
	wantCode(t, err, codes.DeadlineExceeded, "")
}
