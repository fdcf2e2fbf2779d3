package store_test

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"testing"

	"github.com/cometsync/cometsync/crypto"
	"github.com/cometsync/cometsync/mediator"
	pb "github.com/cometsync/cometsync/proto/mediatorpb"
	"github.com/cometsync/cometsync/protocol"
)

const (
	t0      = int64(1_000_000)
	timeout = int64(1_000)
	syncID  = "sync::1220aa"
	medID   = "MED::m0::1220aa"
	p1, p2  = "PAR::p1::1220aa", "PAR::p2::1220aa"
	p3      = "PAR::p3::1220aa"
)

// world is a mediator core's environment: alice is hosted by p1 (threshold 1), dec by
// p1, p2 and p3 (threshold 2).
type world struct {
	t    testing.TB
	topo *mediator.MemTopology
	keys map[string]crypto.SigningPrivateKey
	vks  protocol.StaticKeys
}

func newWorld(t testing.TB) *world {
	w := &world{t: t, topo: mediator.NewMemTopology(), keys: map[string]crypto.SigningPrivateKey{}, vks: protocol.StaticKeys{}}
	for i, p := range []string{p1, p2, p3} {
		k, err := crypto.SigningKeyFromSeed(bytes.Repeat([]byte{byte(i + 1)}, 32))
		if err != nil {
			t.Fatal(err)
		}
		w.keys[p], w.vks[p] = k, []crypto.SigningPublicKey{k.Public()}
	}
	w.topo.Set("alice", 0, mediator.PartyHosting{Threshold: 1, Confirmers: []string{p1}})
	w.topo.Set("dec", 0, mediator.PartyHosting{Threshold: 2, Confirmers: []string{p1, p2, p3}})
	return w
}

func (w *world) config() mediator.Config {
	return mediator.Config{Mediator: medID, SynchronizerID: syncID, Topology: w.topo, Verifier: w.vks}
}

func (w *world) core() *mediator.Core {
	c, err := mediator.NewCore(w.config())
	if err != nil {
		w.t.Fatal(err)
	}
	return c
}

func rootOf(ts int64) []byte { h := sha256.Sum256(fmt.Append(nil, "root", ts)); return h[:] }

// request is a well-formed request at ts with one view in which parties confirm.
func (w *world) request(ts int64, parties ...string) mediator.RequestEvent {
	v := &pb.InformeeView{Position: 0, ViewHash: rootOf(-ts)}
	for _, p := range parties {
		v.Informees = append(v.Informees, &pb.Informee{Party: p, Confirming: true})
	}
	tree := &pb.InformeeTree{RootHash: rootOf(ts), Views: []*pb.InformeeView{v}, Metadata: &pb.RequestMetadata{
		SubmittingParticipant: p1, Submitters: []string{"alice"}, LedgerTimeMicros: ts, SynchronizerId: syncID,
	}}
	b, err := tree.Marshal()
	if err != nil {
		w.t.Fatal(err)
	}
	return mediator.RequestEvent{TS: ts, InformeeTree: b, DecisionTimeout: timeout,
		RootHashMessages: []mediator.RootHashMessage{{RootHash: rootOf(ts), Recipients: []string{p1, p2, p3}}}}
}

// answer is sender's response at ts to request req for party: an approval, or a
// rejection when reason is set.
func (w *world) answer(ts int64, sender string, req int64, party, reason string) mediator.ResponseEvent {
	r := &pb.ConfirmationResponse{Sender: sender, RequestIdMicros: req, RootHash: rootOf(req), AllViews: true,
		ConfirmingParties: []string{party}, Verdict: pb.Verdict_VERDICT_APPROVE, SynchronizerId: syncID}
	if reason != "" {
		r.Verdict, r.RejectCode, r.RejectReason = pb.Verdict_VERDICT_REJECT, pb.LocalRejectCode_LOCAL_REJECT_CODE_CONSISTENCY, reason
	}
	b, err := protocol.SignResponse(w.keys[sender], r)
	if err != nil {
		w.t.Fatal(err)
	}
	return mediator.ResponseEvent{TS: ts, Sender: sender, Signed: b}
}

// events is a run with pending, approved, rejected and timed out requests.
func (w *world) events() []mediator.Event {
	return []mediator.Event{
		w.request(t0, "alice", "dec"),
		w.answer(t0+1, p1, t0, "alice", ""),
		w.answer(t0+2, p3, t0, "dec", "locked \xff"),
		w.request(t0+3, "dec"),
		w.answer(t0+4, p2, t0+3, "dec", ""),
		w.answer(t0+5, p1, t0, "dec", ""),
		w.answer(t0+6, p2, t0, "dec", ""), // t0 approved
		w.request(t0+7, "alice"),
		mediator.TimeEvent{TS: t0 + timeout + 4}, // t0+3 times out, t0 forgotten
		w.answer(t0+timeout+5, p1, t0+7, "alice", "no"),
	}
}

func mustMarshal(t testing.TB, m interface{ Marshal() ([]byte, error) }) []byte {
	t.Helper()
	b, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}
