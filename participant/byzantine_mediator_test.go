package participant_test

import (
	"context"
	"testing"
	"time"

	"github.com/cometsync/cometsync/crypto"
	"github.com/cometsync/cometsync/driver"
	"github.com/cometsync/cometsync/ledger"
	"github.com/cometsync/cometsync/mediator"
	"github.com/cometsync/cometsync/participant"
	"github.com/cometsync/cometsync/participant/engine"
	mediatorpb "github.com/cometsync/cometsync/proto/mediatorpb"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
	"github.com/cometsync/cometsync/protocol"
	"github.com/cometsync/cometsync/topology"
)

// A dishonest mediator (the real mediator member, sending through a raw client of its
// own while its process is stopped) cannot make a participant act on a verdict that is
// not properly its own: a verdict signed with a key that is not the mediator's, and one
// for another root hash, are ignored with their reasons; the genuine verdict that
// follows commits, and sending it again changes nothing.
func TestDishonestMediatorVerdicts(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	w := newByzWorld(t, ctx)
	w.med.Stop()
	med := w.net.Member("mediator")
	mc, err := driver.New(driverConfig(w.net, med), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = mc.Close() })
	if err := mc.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	go func() { _ = mc.Subscribe(ctx, 0, func(context.Context, *pb.SequencedEvent) error { return nil }) }() // resolves receipts

	r := w.prepare(w.proposal(w.mallory, w.alice, "31"), ledger.ContractMap{}, w.malID)
	id := w.sendRaw(w.batch(r))
	root := r.prepared.RootHash()
	verdict := func(key crypto.SigningPrivateKey, rootHash []byte) {
		t.Helper()
		res := &mediatorpb.TransactionResult{RequestIdMicros: id, RootHash: rootHash, Verdict: mediatorpb.Verdict_VERDICT_APPROVE,
			SynchronizerId: mc.SynchronizerID(), Mediator: med.ID, DecidedAtMicros: id}
		signed, err := protocol.SignResult(key, res)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := signed.Marshal()
		env, err := mediator.SealResult(mediator.Result{Recipients: []string{w.malID, w.net.Member("traderp").ID}, Result: res},
			body, topology.EncryptionKeysOf{Snapshot: w.topo.Head()})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := mc.SendAndWait(ctx, &pb.Batch{Envelopes: []*pb.Envelope{env}}, driver.SendOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	other, _ := crypto.GenerateSigningKey(nil)
	wrongRoot := make([]byte, len(root))
	copy(wrongRoot, root[:])
	wrongRoot[0] ^= 1
	reasons := []string{engine.IgnoredBadSignature, engine.IgnoredWrongRequest, engine.IgnoredNoPendingRequest}
	before := map[string]float64{}
	for _, reason := range reasons {
		before[reason] = ignored(w.traderNode, reason)
	}
	verdict(other, root[:])     // not the mediator's key
	verdict(med.Key, wrongRoot) // the mediator's key, another request's root hash
	if err := w.traderNode.WaitProgress(ctx, func(participant.Progress) bool {
		return ignored(w.traderNode, reasons[0]) == before[reasons[0]]+1 && ignored(w.traderNode, reasons[1]) == before[reasons[1]]+1
	}); err != nil {
		t.Fatalf("traderp did not ignore both verdicts (%s: %v, %s: %v): %v", reasons[0], ignored(w.traderNode, reasons[0]),
			reasons[1], ignored(w.traderNode, reasons[1]), err)
	}
	if p := w.traderNode.Progress(); p.Pending != 1 {
		t.Fatalf("the request is no longer pending: %+v", p)
	}
	if countTemplate(w.traderNode.ACS(), "IouProposal") != 0 {
		t.Fatal("committed on a verdict that is not the mediator's")
	}
	verdict(med.Key, root[:]) // genuine
	if c := w.outcome(w.traderNode, id); !c.Committed {
		t.Fatalf("the genuine verdict: %+v", c)
	}
	verdict(med.Key, root[:]) // again: the request is decided
	if err := w.traderNode.WaitProgress(ctx, func(participant.Progress) bool {
		return ignored(w.traderNode, engine.IgnoredNoPendingRequest) == before[engine.IgnoredNoPendingRequest]+1
	}); err != nil {
		t.Fatal(err)
	}
	var prop ledger.ContractID
	for cid, c := range w.traderNode.ACS() {
		if c.Template.Name == "IouProposal" {
			prop = cid
		}
	}
	if n := countTemplate(w.traderNode.ACS(), "IouProposal"); n != 1 {
		t.Fatalf("traderp holds %d proposals, want 1", n)
	}
	_ = mc.Close()
	w.startMediator()
	// Alice declines mallory's proposal, so that the honest participants share every
	// contract again.
	if _, err := w.traderNode.Submit(ctx, ledger.ExerciseCommand([]ledger.Party{w.alice}, w.tid(), prop, "Reject", ledger.Record{})); err != nil {
		t.Fatal(err)
	}
	w.settle()
}
