package daemon_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/cometsync/cometsync/internal/gogoreflect/reflecttest"
	"github.com/cometsync/cometsync/participant/daemon"
	"github.com/cometsync/cometsync/participant/ledgerapi"
)

// TestParticipantDaemonReflection: a participant made with daemon.Init onboards itself
// on a real chain; through server reflection alone (no .proto file, no stubs) its Ledger
// API lists and describes every service, allocates a party for participant_admin with a
// dynamic request, and answers the health Check.
func TestParticipantDaemonReflection(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	net := startChain(t)
	h := newHome(t, net, "bankp")
	d, err := daemon.Start(ctx, h.o)
	if err != nil {
		t.Fatalf("start the participant (onboarding): %v", err)
	}
	t.Cleanup(func() { d.Stop() })
	admin := h.client(t, ctx, d, "participant_admin")

	names, err := reflecttest.ListServices(ctx, admin.conn)
	if err != nil {
		t.Fatal(err)
	}
	files, err := reflecttest.Load(ctx, admin.conn, names...)
	if err != nil {
		t.Fatal(err)
	}
	if len(names) != len(ledgerapi.ServiceNames)+3 || files.NumFiles() < 4 { // + health and reflection v1, v1alpha
		t.Fatalf("services %v, %d files", names, files.NumFiles())
	}
	resp, err := reflecttest.Invoke(admin.ctx, admin.conn, files,
		"cometsync.ledger.v1.PartyManagementService/AllocateParty", `{"partyIdHint":"Bank"}`)
	if err != nil {
		t.Fatal(err)
	}
	if party := reflecttest.Field(resp, "party"); !strings.HasPrefix(party, "Bank::") {
		t.Fatalf("allocated party %q", party)
	}
	hc, err := reflecttest.Invoke(ctx, admin.conn, files, "grpc.health.v1.Health/Check", `{}`)
	if err != nil || reflecttest.Field(hc, "status") != "SERVING" {
		t.Fatalf("health Check: %v %v", hc, err)
	}
}
