package participant_test

import (
	"context"
	"crypto/rand"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cometsync/cometsync/crypto"
	"github.com/cometsync/cometsync/ledger"
	"github.com/cometsync/cometsync/participant"
	"github.com/cometsync/cometsync/participant/engine"
	mediatorpb "github.com/cometsync/cometsync/proto/mediatorpb"
	protocolpb "github.com/cometsync/cometsync/proto/protocolpb"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
	topopb "github.com/cometsync/cometsync/proto/topologypb"
	"github.com/cometsync/cometsync/protocol"
	"github.com/cometsync/cometsync/topology"
)

// The scenarios below attack the views of a request: which recipients get which view,
// sealed how. They need a view with two honest recipients, both confirming: mallory
// accepts a transfer Alice offered it of Alice's IOU issued by the bank. Mallory has the
// authority for that (it is the new owner, the controller of the transfer proposal's
// Accept), and the request has three views:
//
//   - the root view (Accept on the IouTransferProposal), informees Alice and Mallory:
//     recipients traderp and mallory;
//   - its subview (Transfer of the Iou), informees Bank, Alice and Mallory, Bank and
//     Alice confirming: recipients bankp, traderp and mallory;
//   - the subview of that (the create of the moved Iou), informees Bank and Mallory:
//     recipients bankp and mallory.

// transferWorld is a byzWorld where Alice holds an IOU of the bank's and has offered
// it to Mallory.
type transferWorld struct {
	*byzWorld
	iou, offer ledger.ContractID
}

func newTransferWorld(t *testing.T, ctx context.Context) *transferWorld {
	t.Helper()
	w := &transferWorld{byzWorld: newByzWorld(t, ctx)}
	if err := w.accept(w.propose("100")); err != nil {
		t.Fatalf("accept the IOU: %v", err)
	}
	waitACS(t, ctx, w.traderNode, func(acs ledger.ContractMap) bool { return countTemplate(acs, "Iou") == 1 })
	for id, c := range w.traderNode.ACS() {
		if c.Template.Name == "Iou" {
			w.iou = id
		}
	}
	if _, err := w.traderNode.Submit(ctx, ledger.ExerciseCommand([]ledger.Party{w.alice}, w.template("Iou"), w.iou, "ProposeTransfer",
		ledger.Record{"newOwner": ledger.PartyValue(w.mallory)})); err != nil {
		t.Fatalf("offer the IOU to mallory: %v", err)
	}
	waitACS(t, ctx, w.traderNode, func(acs ledger.ContractMap) bool {
		for id, c := range acs {
			if c.Template.Name == "IouTransferProposal" {
				w.offer = id
				return true
			}
		}
		return false
	})
	return w
}

func (w *transferWorld) template(name string) ledger.TemplateID {
	return ledger.TemplateID{Package: w.pkg.ID, Name: name}
}

func (w *transferWorld) id(name string) string { return w.net.Member(name).ID }

// member is n's member id.
func (w *transferWorld) member(n *participant.Node) string {
	switch n {
	case w.bankNode:
		return w.id("bankp")
	case w.traderNode:
		return w.id("traderp")
	case w.malNode:
		return w.malID
	}
	w.t.Fatal("unknown node")
	return ""
}

// acceptOffer prepares mallory's acceptance of the transfer, checking the views are as
// the scenarios expect; it returns the request with the indexes of its root view and
// of the transfer subview in the plan. (The third view, 0.0.0, is the create of the
// moved IOU, for bankp and mallory.)
func (w *transferWorld) acceptOffer() (r request, root, transfer int) {
	w.t.Helper()
	r = w.prepare(ledger.ExerciseCommand([]ledger.Party{w.mallory}, w.template("IouTransferProposal"), w.offer, "Accept", ledger.Record{}),
		w.traderNode.ACS(), w.malID)
	root, transfer = -1, -1
	for i, v := range r.plan.Views {
		switch {
		case slices.Equal(v.Recipients, sorted(w.malID, w.id("traderp"))):
			root = i
		case slices.Equal(v.Recipients, sorted(w.malID, w.id("traderp"), w.id("bankp"))):
			transfer = i
		}
	}
	if len(r.plan.Views) != 3 || root != 0 || transfer != 1 {
		for _, v := range r.plan.Views {
			w.t.Logf("view %s: %v", v.Path, v.Recipients)
		}
		w.t.Fatalf("the acceptance's views are not a root view for traderp and mallory, a transfer subview for all three and the new IOU's create")
	}
	return r, root, transfer
}

// sub makes the world report to the sub-test t until t ends.
func (w *transferWorld) sub(t *testing.T) {
	old := w.t
	w.t = t
	t.Cleanup(func() { w.t = old })
}

func sorted(s ...string) []string { slices.Sort(s); return s }

func (w *transferWorld) keys() protocol.EncryptionKeys {
	return topology.EncryptionKeysOf{Snapshot: w.topo.Head()}
}

// intact asserts that the attacked transfer did not happen: the IOU and the offer are
// still active where they were, and no IOU names Mallory.
func (w *transferWorld) intact() {
	w.t.Helper()
	for _, n := range w.honest() {
		acs := n.ACS()
		if _, ok := acs[w.iou]; !ok {
			w.t.Fatalf("the IOU was archived at %s", w.member(n))
		}
		for _, c := range acs {
			if c.Template.Name == "Iou" && c.Stakeholders().Contains(w.mallory) {
				w.t.Fatalf("%s holds an IOU of mallory's: %v", w.member(n), c.Arguments)
			}
		}
	}
	if _, ok := w.traderNode.ACS()[w.offer]; !ok {
		w.t.Fatalf("the transfer offer was archived")
	}
}

// finish withdraws the offer (which only traderp holds) and settles: then the honest
// participants' whole active contract sets are shared.
func (w *transferWorld) finish() {
	w.t.Helper()
	if _, err := w.traderNode.Submit(w.ctx, ledger.ExerciseCommand([]ledger.Party{w.alice}, w.template("IouTransferProposal"), w.offer, "Withdraw", ledger.Record{})); err != nil {
		w.t.Fatalf("withdraw the offer: %v", err)
	}
	w.settle()
	if _, ok := w.bankNode.ACS()[w.iou]; !ok {
		w.t.Fatalf("the IOU is gone")
	}
}

// response returns participant n's own confirmation response to request id, as the
// mediator received it: it waits until n's outbox is empty (its response is sequenced),
// then reads the mediator's stream and opens the responses with the mediator's key.
func (w *transferWorld) response(n *participant.Node, id int64) *mediatorpb.ConfirmationResponse {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(w.ctx, 30*time.Second)
	defer cancel()
	if err := n.WaitProgress(ctx, func(p participant.Progress) bool { return p.Outbox == 0 }); err != nil {
		w.t.Fatalf("%s's response never sequenced: %v", w.member(n), err)
	}
	r, release := w.net.Node(0).Snapshot()
	defer release()
	med := w.id("mediator")
	evs, err := readAll(r, med)
	if err != nil {
		w.t.Fatal(err)
	}
	key := func(crypto.Fingerprint) (crypto.EncryptionPrivateKey, bool) { return w.medEnc, true }
	for _, ev := range evs {
		if ev.Sender != w.member(n) {
			continue
		}
		for _, env := range ev.GetBatch().GetEnvelopes() {
			op, err := protocol.OpenPayload(env.Content, med, key)
			if err != nil || op.Kind != protocolpb.EncryptedPayload_KIND_CONFIRMATION_RESPONSE {
				continue
			}
			_, resp, err := protocol.DecodeSignedResponse(op.Plaintext)
			if err == nil && resp.RequestIdMicros == id && resp.Sender == w.member(n) {
				return resp
			}
		}
	}
	w.t.Fatalf("no response of %s to request %d on the mediator's stream", w.member(n), id)
	return nil
}

// completed returns n's outcome of request id, if it has one now.
func completed(n *participant.Node, id int64) (engine.Completion, bool) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	c, err := n.WaitCompletion(ctx, id)
	return c, err == nil
}

// rejects asserts that n's own response to id rejects with a reason starting with want.
func (w *transferWorld) rejects(n *participant.Node, id int64, want string) {
	w.t.Helper()
	resp := w.response(n, id)
	if resp.Verdict != mediatorpb.Verdict_VERDICT_REJECT || !strings.HasPrefix(resp.RejectReason, want) {
		w.t.Fatalf("%s answered request %d with %s %q, want a rejection starting with %q", w.member(n), id, resp.Verdict, resp.RejectReason, want)
	}
}

// Seed 003 scenario 4: mallory seals the transfer view's seed for one honest recipient
// with a wrong seed (sealed to the right key, so that the envelope looks well formed).
// The victim cannot open the view and rejects as invalid_encryption. Its rejection is
// decisive (it is the only host of a confirming party of the view), so the other honest
// recipient does not need to recompute the victim's seed and approves; the request is
// rejected all the same and nothing is committed. (With a victim that others could
// outvote, see TestMaliciousWrongSeedForOutvotableRecipient.)
func TestMaliciousWrongSeedForOneRecipient(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	w := newTransferWorld(t, ctx)
	for _, tc := range []struct {
		name          string
		victim, other *participant.Node
		victimName    string
	}{
		{"bank's participant", w.bankNode, w.traderNode, "bankp"},
		{"trader's participant", w.traderNode, w.bankNode, "traderp"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w.sub(t)
			r, _, tr := w.acceptOffer()
			b := w.batch(r)
			v := r.plan.Views[tr]
			env, err := protocol.SealWrongSeedFor(protocolpb.EncryptedPayload_KIND_VIEW, v.ViewHash, v.Plaintext, v.Recipients, w.keys(),
				b.Envelopes[tr].Recipients, w.id(tc.victimName))
			if err != nil {
				t.Fatal(err)
			}
			b.Envelopes[tr] = env
			id := w.sendRaw(b)
			w.rejectedWith(id, engine.ReasonInvalidEncryption, w.honest()...)
			w.rejects(tc.victim, id, engine.ReasonInvalidEncryption+": ")
			if resp := w.response(tc.other, id); resp.Verdict != mediatorpb.Verdict_VERDICT_APPROVE {
				t.Fatalf("%s answered %s %q; the victim's rejection alone is decisive", w.member(tc.other), resp.Verdict, resp.RejectReason)
			}
			w.intact()
		})
	}
	w.finish()
}

// The same attack on a victim that others could outvote: Bank is hosted on bankp and
// traderp with threshold 1, so the trader's approval alone would reach Bank's threshold
// and the request would commit without bankp ever seeing the transfer. The trader's
// participant recomputes the seed sealed to bankp from the view seed, finds that it
// does not match and rejects as invalid_encryption_for bankp: nothing is committed.
func TestMaliciousWrongSeedForOutvotableRecipient(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	w := newTransferWorld(t, ctx)
	bankp, traderp := w.net.Member("bankp"), w.net.Member("traderp")
	w.hostBank(2, 1, []crypto.SigningPrivateKey{bankp.Key, traderp.Key},
		topology.Host(w.memberOf("bankp"), topopb.ParticipantPermission_PARTICIPANT_PERMISSION_SUBMISSION),
		topology.Host(w.memberOf("traderp"), topopb.ParticipantPermission_PARTICIPANT_PERMISSION_CONFIRMATION))
	r := w.prepare(ledger.ExerciseCommand([]ledger.Party{w.mallory}, w.template("IouTransferProposal"), w.offer, "Accept", ledger.Record{}),
		w.traderNode.ACS(), w.malID)
	const tr = 1 // the transfer view, to all three
	if len(r.plan.Views) != 3 || !slices.Equal(r.plan.Views[tr].Recipients, sorted(w.malID, bankp.ID, traderp.ID)) {
		t.Fatalf("views %+v", r.plan.Views)
	}
	b := w.batch(r)
	v := r.plan.Views[tr]
	env, err := protocol.SealWrongSeedFor(protocolpb.EncryptedPayload_KIND_VIEW, v.ViewHash, v.Plaintext, v.Recipients, w.keys(),
		b.Envelopes[tr].Recipients, bankp.ID)
	if err != nil {
		t.Fatal(err)
	}
	b.Envelopes[tr] = env
	id := w.sendRaw(b)
	w.rejectedWith(id, engine.ReasonInvalidEncryption, w.honest()...)
	w.rejects(w.bankNode, id, engine.ReasonInvalidEncryption+": ")
	w.rejects(w.traderNode, id, engine.ReasonInvalidEncryptionFor+" "+bankp.ID+":")
	w.intact()
	w.finish()
}

// Seed 003 scenario 2 on a chain: mallory leaves an honest participant hosting an
// informee out of the transfer view's recipients. The participants that get the view
// reject it: a participant hosting an informee is not a recipient.
func TestMaliciousWithholdsAView(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	w := newTransferWorld(t, ctx)
	t.Run("trader's participant left out of the transfer view", func(t *testing.T) {
		w.sub(t)
		// traderp still gets the root view and its root hash message: it sees nothing
		// wrong; the bank's participant does.
		r, _, tr := w.acceptOffer()
		r.plan.Views[tr].Recipients = slices.DeleteFunc(r.plan.Views[tr].Recipients, func(p string) bool { return p == w.id("traderp") })
		id := w.sendRaw(w.batch(r))
		w.rejectedWith(id, "is not a recipient", w.honest()...)
		w.rejects(w.bankNode, id, protocol.ErrMissingRecipient.Error())
		if resp := w.response(w.traderNode, id); resp.Verdict != mediatorpb.Verdict_VERDICT_APPROVE {
			t.Fatalf("the trader's participant, which got a consistent root view, answered %s %q", resp.Verdict, resp.RejectReason)
		}
		w.intact()
	})
	// bankp left out of both views it should get (the transfer and the create of the
	// moved IOU), with or without its root hash message.
	withoutBank := func() request {
		r, _, _ := w.acceptOffer()
		for i := range r.plan.Views {
			r.plan.Views[i].Recipients = slices.DeleteFunc(r.plan.Views[i].Recipients, func(p string) bool { return p == w.id("bankp") })
		}
		return r
	}
	t.Run("bank's participant gets its root hash message but no view", func(t *testing.T) {
		w.sub(t)
		// The mediator sees a well-formed request; the trader's participant (and
		// mallory's own node) get the transfer view and see that the bank's participant,
		// which hosts its informee Bank, is not a recipient.
		r := withoutBank()
		id := w.sendRaw(w.batch(r))
		w.rejectedWith(id, protocol.ErrMissingRecipient.Error(), w.traderNode)
		w.rejects(w.traderNode, id, protocol.ErrMissingRecipient.Error())
		w.intact()
	})
	t.Run("bank's participant left out of the request", func(t *testing.T) {
		w.sub(t)
		// No view and no root hash message for bankp: the request never reaches it.
		// The mediator, which sees the informee tree, rejects it at once; the trader's
		// participant's own answer names the missing recipient.
		r := withoutBank()
		r.plan.RootHashMessages = slices.DeleteFunc(r.plan.RootHashMessages, func(m protocol.RootHashEnvelope) bool { return m.Participant == w.id("bankp") })
		id := w.sendRaw(w.batch(r))
		w.rejectedWith(id, "received no root hash message", w.traderNode)
		w.rejectedWith(id, w.id("bankp"), w.traderNode)
		w.rejects(w.traderNode, id, protocol.ErrMissingRecipient.Error())
		w.intact()
	})
	w.finish()
}

// Equivocation: mallory prepares the acceptance twice (other salts, another root hash)
// and sends the trader's participant the root view of the second preparation under the
// root hash messages of the first, while the bank's participant gets the first's
// transfer view. The bank's participant sees a consistent request and approves; the
// trader's participant sees the root hash mismatch and rejects, and so the request.
func TestMaliciousEquivocatesViews(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	w := newTransferWorld(t, ctx)
	r, root, _ := w.acceptOffer()
	r2, root2, _ := w.acceptOffer()
	if r.plan.RootHash == r2.plan.RootHash {
		t.Fatal("two preparations with the same root hash")
	}
	b, b2 := w.batch(r), w.batch(r2)
	b.Envelopes[root] = b2.Envelopes[root2]
	id := w.sendRaw(b)
	w.rejectedWith(id, "root hash mismatch", w.honest()...)
	w.rejects(w.traderNode, id, protocol.ErrRootHashMismatch.Error())
	if resp := w.response(w.bankNode, id); resp.Verdict != mediatorpb.Verdict_VERDICT_APPROVE {
		t.Fatalf("the bank's participant, which got a consistent transfer view, answered %s %q", resp.Verdict, resp.RejectReason)
	}
	w.intact()
	w.finish()
}

// Garbage: mallory sends batches no honest member can make sense of, to both honest
// participants and the mediator group. Every honest node keeps running (the honest
// flow afterwards commits); a request whose view addressed to the participants holds
// garbage seeds is rejected by both as invalid_encryption. At the end the trader's
// participant is wiped and rebuilt from the chain: the replay over all of that
// garbage rebuilds the same active contract set.
func TestMaliciousGarbageEnvelopes(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	w := newTransferWorld(t, ctx)
	bank, trader := w.id("bankp"), w.id("traderp")
	r, _, tr := w.acceptOffer()
	mg := &pb.Recipient{Group: pb.GroupKind_GROUP_KIND_MEDIATOR_GROUP, GroupIndex: r.plan.MediatorGroup}
	all := func() []*pb.Recipient { return []*pb.Recipient{{Member: bank}, {Member: trader}, mg} }
	random := func(n int) []byte { b := make([]byte, n); rand.Read(b); return b }
	garbageSeeds := func(readers ...string) []*protocolpb.SealedSeed {
		var out []*protocolpb.SealedSeed
		for _, m := range readers {
			pub, ok := w.keys().EncryptionKey(m)
			if !ok {
				t.Fatalf("no key of %s", m)
			}
			out = append(out, &protocolpb.SealedSeed{Recipient: m, KeyFingerprint: string(pub.Fingerprint()), Sealed: random(80)})
		}
		return out
	}
	garbageView := func(bound protocol.Hash, readers ...string) []byte {
		return protocol.WrapEncrypted(&protocolpb.EncryptedPayload{Kind: protocolpb.EncryptedPayload_KIND_VIEW, BoundHash: bound[:],
			Ciphertext: random(200), Seeds: garbageSeeds(readers...)})
	}
	marshal := func(m *protocolpb.ProtocolMessage) []byte {
		b, err := m.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	var someHash protocol.Hash
	rand.Read(someHash[:])
	shortRoot := marshal(&protocolpb.ProtocolMessage{Message: &protocolpb.ProtocolMessage_RootHash{RootHash: &protocolpb.RootHashMessage{
		RootHash: []byte{1, 2, 3}, SynchronizerId: w.mal.SynchronizerID()}}})
	var garbage []int64 // the sequencing times of the garbage batches
	t.Run("undecodable envelopes", func(t *testing.T) {
		w.sub(t)
		// A well-formed request whose root hash message names no mediator group, only
		// the participant: no mediator would ever decide it.
		r0, _, _ := w.acceptOffer()
		b0 := w.batch(r0)
		rootOnly, err := protocol.WrapRootHash(r0.plan.RootHashMessages[0].Payload)
		if err != nil {
			t.Fatal(err)
		}
		noGroup := append(b0.Envelopes[:len(r0.plan.Views):len(r0.plan.Views)], &pb.Envelope{Recipients: []*pb.Recipient{{Member: bank}, {Member: trader}}, Content: rootOnly})
		for _, g := range []struct {
			name     string
			contents [][]byte
			batch    *pb.Batch // sent as is, when set
		}{
			{name: "random bytes", contents: [][]byte{random(64)}},
			{name: "empty protocol message", contents: [][]byte{{}}},
			{name: "empty encrypted payload", contents: [][]byte{protocol.WrapEncrypted(&protocolpb.EncryptedPayload{})}},
			{name: "view with garbage seeds, no root hash message", contents: [][]byte{garbageView(someHash, bank, trader)}},
			{name: "3-byte root hash with a view", contents: [][]byte{shortRoot, garbageView(someHash, bank, trader)}},
			{name: "garbage response and verdict", contents: [][]byte{
				protocol.WrapEncrypted(&protocolpb.EncryptedPayload{Kind: protocolpb.EncryptedPayload_KIND_CONFIRMATION_RESPONSE, BoundHash: someHash[:],
					Ciphertext: random(100), Seeds: garbageSeeds(w.id("mediator"))}),
				protocol.WrapEncrypted(&protocolpb.EncryptedPayload{Kind: protocolpb.EncryptedPayload_KIND_TRANSACTION_RESULT, BoundHash: someHash[:],
					Ciphertext: random(100), Seeds: garbageSeeds(bank, trader)}),
				protocol.WrapConfirmationResponse(random(50)), protocol.WrapTransactionResult(random(50)),
			}},
			{name: "request addressed to no mediator group", batch: &pb.Batch{Envelopes: noGroup}},
		} {
			if g.batch != nil {
				garbage = append(garbage, w.sendRaw(g.batch))
				continue
			}
			b := &pb.Batch{}
			for _, c := range g.contents {
				b.Envelopes = append(b.Envelopes, &pb.Envelope{Recipients: all(), Content: c})
			}
			garbage = append(garbage, w.sendRaw(b))
		}
	})
	t.Run("request whose transfer view has garbage seeds", func(t *testing.T) {
		w.sub(t)
		b := w.batch(r)
		b.Envelopes[tr] = &pb.Envelope{Recipients: b.Envelopes[tr].Recipients, Content: garbageView(r.plan.Views[tr].ViewHash, r.plan.Views[tr].Recipients...)}
		id := w.sendRaw(b)
		w.rejectedWith(id, engine.ReasonInvalidEncryption, w.honest()...)
		w.rejects(w.bankNode, id, engine.ReasonInvalidEncryption+": ")
		w.rejects(w.traderNode, id, engine.ReasonInvalidEncryption+": ")
		w.intact()
		// Both honest participants are past the garbage, and none of it became a
		// request: nothing pending, no outcome.
		for _, n := range w.honest() {
			if k := n.PendingRequests(); k != 0 {
				t.Fatalf("%s has %d pending requests", w.member(n), k)
			}
			for _, ts := range garbage {
				if c, ok := completed(n, ts); ok {
					t.Fatalf("%s has an outcome for the garbage batch sequenced at %d: %+v", w.member(n), ts, c)
				}
			}
		}
	})
	w.finish()

}
