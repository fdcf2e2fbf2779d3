package daemon_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cometsync/cometsync/driver"
	"github.com/cometsync/cometsync/internal/lyingnode"
	"github.com/cometsync/cometsync/participant"
	"github.com/cometsync/cometsync/participant/daemon"
)

// TestRecoveryThroughALyingNode: a participant made by daemon.Init (verified reads on,
// as init writes them) creates a contract on a real chain and is wiped. Recovery through
// a node that alters one of its events fails with ErrEventProof, naming the lying
// endpoint; recovery through an honest node then rebuilds the same ACS hash, and says
// which heights it verified.
func TestRecoveryThroughALyingNode(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	net := startChain(t)
	startMediator(t, ctx, net, "")
	bankHome := newHome(t, net, "bankp")
	if !bankHome.o.Config.Reads.VerifyReads {
		t.Fatal("init wrote verify_reads = false")
	}
	bankD, err := daemon.Start(ctx, bankHome.o)
	if err != nil {
		t.Fatal(err)
	}
	admin := bankHome.client(t, ctx, bankD, "participant_admin")
	bank := admin.allocate("Bank")
	admin.createUser("bank-ops", bank)
	ops := bankHome.client(t, ctx, bankD, "bank-ops")
	propose := fmt.Sprintf(`{"actAs": [%q], "create": {"template": "iou:IouProposal", "arguments": {"issuer": %q, "owner": %q, "amount": "7", "currency": "CHF"}}}`, bank, bank, bank)
	if _, err := ops.submit(propose); err != nil {
		t.Fatal(err)
	}
	if err := bankD.Node.WaitProgress(ctx, func(p participant.Progress) bool { return p.LedgerEnd >= 1 }); err != nil {
		t.Fatal(err)
	}
	beforeHash, events := bankD.Node.ACSHash(), bankD.Node.Progress().NextCounter
	if err := bankD.Stop(); err != nil {
		t.Fatal(err)
	}

	// Through a liar that alters the participant's last event: recovery fails loudly.
	liar := lyingnode.Start(t, net.APIAddress(0), lyingnode.Lie{HasAlter: true, AlterCounter: events - 1})
	lied := bankHome.o
	lied.Config.Sequencers = []string{liar.Addr()}
	if err := daemon.WipeDatabase(bankHome.dir, bankHome.o.Config); err != nil {
		t.Fatal(err)
	}
	var progress bytes.Buffer
	_, err = daemon.Recover(ctx, lied, &progress, time.Hour)
	var ve *driver.VerifyError
	if !errors.Is(err, driver.ErrEventProof) || !errors.As(err, &ve) || ve.Endpoint != liar.Addr() || ve.Counter != events-1 {
		t.Fatalf("recovery through the liar: want ErrEventProof at counter %d from %s, got %v", events-1, liar.Addr(), err)
	}

	// Through the honest node: the same ACS as before.
	if err := daemon.WipeDatabase(bankHome.dir, bankHome.o.Config); err != nil {
		t.Fatal(err)
	}
	r, err := daemon.Recover(ctx, bankHome.o, &progress, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(r.ACSHash, beforeHash) || r.Events < events || r.VerifiedFirst < 2 || r.VerifiedLast < r.VerifiedFirst {
		t.Fatalf("recovery report %s; ACS hash before %x, %d events", r, beforeHash, events)
	}
	if !strings.Contains(r.String(), fmt.Sprintf("verified heights %d..%d", r.VerifiedFirst, r.VerifiedLast)) {
		t.Fatalf("report %q does not say which heights were verified", r)
	}
}
