package ledgerapi_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/cometsync/cometsync/participant/ledgerapi"
	pb "github.com/cometsync/cometsync/proto/ledgerapipb"
)

// TestStreamLimits: alice holding her maximum of update streams is refused one more,
// naming her cap, while bank still streams; the server's cap then refuses bank too.
func TestStreamLimits(t *testing.T) {
	srv, conn := serveWithLimits(t, ledgerapi.StreamLimits{MaxStreams: 3, MaxStreamsPerUser: 2})
	cmd, upd := pb.NewCommandServiceClient(conn), pb.NewUpdateServiceClient(conn)
	// One update that both alice (the owner) and bank (the issuer) see at offset 1.
	if _, err := cmd.SubmitAndWait(as(t, "bank"), &pb.SubmitAndWaitRequest{CommandJson: proposeJSON(bank, alice, "10.0")}); err != nil {
		t.Fatal(err)
	}
	open := func(user string) pb.UpdateService_GetUpdatesClient {
		t.Helper()
		st, err := upd.GetUpdates(as(t, user), &pb.GetUpdatesRequest{})
		if err != nil {
			t.Fatalf("GetUpdates as %s: %v", user, err)
		}
		if _, err := st.Recv(); err != nil { // the stream holds its slot now
			t.Fatalf("recv as %s: %v", user, err)
		}
		return st
	}
	refused := func(user, msg string) {
		t.Helper()
		st, err := upd.GetUpdates(as(t, user), &pb.GetUpdatesRequest{})
		if err == nil {
			_, err = st.Recv()
		}
		wantCode(t, err, codes.ResourceExhausted, msg)
	}
	open("alice")
	open("alice")
	refused("alice", "user alice has 2 streams open, max_streams_per_user is 2")
	open("bank")
	if n := srv.OpenStreams(); n != 3 {
		t.Fatalf("%d streams open, want 3", n)
	}
	refused("bank", "3 streams open, max_streams is 3")
}

func TestStreamLimitsValidate(t *testing.T) {
	for _, tc := range []struct {
		field string
		l     ledgerapi.StreamLimits
	}{
		{"max_streams", ledgerapi.StreamLimits{MaxStreams: 0, MaxStreamsPerUser: 1}},
		{"max_streams_per_user", ledgerapi.StreamLimits{MaxStreams: 4, MaxStreamsPerUser: 0}},
		{"max_streams_per_user: 4 must be below max_streams (4)", ledgerapi.StreamLimits{MaxStreams: 4, MaxStreamsPerUser: 4}},
	} {
		err := tc.l.Validate()
		var ce *ledgerapi.ConfigError
		if !errors.Is(err, ledgerapi.ErrInvalidStreamLimits) || !errors.As(err, &ce) || !strings.HasPrefix(tc.field, ce.Field) || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("%+v: got %v, want %q", tc.l, err, tc.field)
		}
	}
	if err := ledgerapi.DefaultStreamLimits().Validate(); err != nil {
		t.Fatal(err)
	}
}

// serveWithLimits serves a Ledger API over a fake backend with limits and the users bank
// and alice, and returns the server and a client connection.
func serveWithLimits(t *testing.T, limits ledgerapi.StreamLimits) (*ledgerapi.Server, *grpc.ClientConn) {
	t.Helper()
	users := openUsers(t, t.TempDir())
	for id, r := range map[string]ledgerapi.Right{"bank": ledgerapi.CanActAs(bank), "alice": ledgerapi.CanActAs(alice)} {
		if _, err := users.Create(ledgerapi.User{ID: id}, r); err != nil {
			t.Fatal(err)
		}
	}
	srv := ledgerapi.New(newFakeBackend(t), users, ledgerapi.Auth{Secret: testSecret}, testLogger(t))
	if err := srv.SetStreamLimits(limits); err != nil {
		t.Fatal(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, lis) }()
	t.Cleanup(func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return srv, conn
}
