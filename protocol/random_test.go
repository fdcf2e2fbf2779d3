package protocol

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/cometsync/cometsync/internal/testseed"
	"github.com/cometsync/cometsync/ledger"
)

var (
	randomParties      = []ledger.Party{bank, registry, alice, bob, carol, "Dave::1220ff"}
	randomParticipants = []string{pBank, pRegistry, pTrader, pCarol}
)

// randomHosting hosts every party on one or two random participants.
func randomHosting(r *rand.Rand) HostingMap {
	h := HostingMap{}
	for _, p := range randomParties {
		ps := []string{randomParticipants[r.IntN(len(randomParticipants))]}
		if r.IntN(3) == 0 {
			ps = append(ps, randomParticipants[r.IntN(len(randomParticipants))])
		}
		slices.Sort(ps)
		h[string(p)] = slices.Compact(ps)
	}
	return h
}

// TestRandomized runs random IOU and DvP workflows and checks every confirmation request
// against a reference: each participant receives exactly the views of which it hosts an
// informee, every recipient's validation accepts every honest view, the informee tree
// hashes to the root, preparation is deterministic, and a flipped byte is caught.
func TestRandomized(t *testing.T) {
	r := rand.New(rand.NewPCG(testseed.Seed(t), 0))
	w := newWorld(t)
	for range 60 {
		randomStep(r, w)
	}
	if len(w.log) < 10 {
		t.Fatalf("only %d submissions succeeded", len(w.log))
	}
	for i, s := range w.log {
		t.Run(fmt.Sprint(i), func(t *testing.T) { checkRequest(t, r, w, s) })
	}
}

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

func randomStep(r *rand.Rand, w *world) {
	parties := randomParties[2:]
	switch r.IntN(4) {
	case 0:
		w.issueIou(pick(r, []ledger.Party{bank, registry}), pick(r, parties), pick(r, []string{"10", "55.5", "100"}))
	case 1:
		if iou := activeOf(w, "Iou", w.iou); iou != nil {
			owner := ledger.Party(iou.Arguments["owner"].(ledger.PartyValue))
			to := pick(r, parties)
			if to == owner {
				return
			}
			prop, err := w.try(ledger.ExerciseCommand([]ledger.Party{owner}, iou.Template, iou.ID, "ProposeTransfer", ledger.Record{"newOwner": ledger.PartyValue(to)}))
			if err == nil {
				_, _ = w.try(ledger.ExerciseCommand([]ledger.Party{to}, w.tid(w.iou, "IouTransferProposal"), resultID(prop), "Accept", ledger.Record{}))
			}
		}
	case 2:
		if iou := activeOf(w, "Iou", w.iou); iou != nil {
			owner := ledger.Party(iou.Arguments["owner"].(ledger.PartyValue))
			_, _ = w.try(ledger.ExerciseCommand([]ledger.Party{owner}, iou.Template, iou.ID, "Split", ledger.Record{"splitAmount": dec("1.5")}))
		}
	case 3:
		buyer, seller := pick(r, parties), pick(r, parties)
		if buyer != seller {
			w.dvpSettle(buyer, seller)
		}
	}
}

// activeOf returns the active contract of template name with the smallest id, or nil.
func activeOf(w *world, name string, pkg *ledger.Package) *ledger.Contract {
	var ids []ledger.ContractID
	for id, c := range w.acs {
		if c.Template == w.tid(pkg, name) {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	return w.acs[slices.Min(ids)]
}

func checkRequest(t *testing.T, r *rand.Rand, w *world, s *submission) {
	var seed Seed
	for i := range seed {
		seed[i] = byte(r.Uint32())
	}
	h := randomHosting(r)
	p := prepare(t, s, seed)
	pl := plan(t, p, h)
	if again := plan(t, prepare(t, s, seed), h); !reflect.DeepEqual(pl, again) {
		t.Fatal("preparation is not deterministic")
	}
	checkRecipientsAgainstReference(t, p, pl, h)
	if it, err := DecodeInformeeTree(pl.InformeeTree); err != nil || it.RootHash != p.RootHash() {
		t.Fatalf("informee tree: %v", err)
	}
	val := Validator{Packages: w.pkgs, Hosting: h, Known: s.before, Tolerance: tolerance}
	for _, env := range pl.Views {
		if _, err := val.ValidateView(env.Plaintext, pl.RootHash, env.Recipients, testTime); err != nil {
			t.Fatalf("view %s: %v", env.Path, err)
		}
	}
	env := pick(r, pl.Views)
	b := bytes.Clone(env.Plaintext)
	b[r.IntN(len(b))] ^= byte(1 + r.IntN(255))
	if _, err := CheckViewAgainstRoot(b, pl.RootHash); err == nil {
		t.Fatalf("view %s: a changed byte went unnoticed", env.Path)
	}
}

// checkRecipientsAgainstReference recomputes, participant by participant, which views it
// must receive and compares with the plan.
func checkRecipientsAgainstReference(t *testing.T, p *Prepared, pl *SubmissionPlan, h HostingMap) {
	var informed []string
	for _, participant := range randomParticipants {
		var want []ViewPath
		for _, v := range p.Views() {
			for _, inf := range v.Common.Informees {
				if slices.Contains(h[string(inf.Party)], participant) {
					want = append(want, v.Path)
					break
				}
			}
		}
		if got := pl.ViewsFor(participant); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s receives %v, want %v", participant, got, want)
		}
		if want != nil {
			informed = append(informed, participant)
		}
	}
	slices.Sort(informed)
	if got := rootHashRecipients(pl); !slices.Equal(got, informed) {
		t.Errorf("root hash messages to %v, want %v", got, informed)
	}
}
