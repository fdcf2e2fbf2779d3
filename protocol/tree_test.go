package protocol

import (
	"bytes"
	"errors"
	"reflect"
	"slices"
	"testing"

	"github.com/cometsync/cometsync/proto/protocolpb"
)

func TestInformeeTreeRecomputesRootHash(t *testing.T) {
	_, _, p := settled(t)
	pl := plan(t, p, hosting)
	it, err := DecodeInformeeTree(pl.InformeeTree)
	if err != nil {
		t.Fatal(err)
	}
	if it.RootHash != p.RootHash() || pl.RootHash != p.RootHash() {
		t.Fatalf("informee tree hashes to %s, want %s", it.RootHash.Short(), p.RootHash().Short())
	}
	views := p.Views()
	if len(it.Views) != len(views) {
		t.Fatalf("informee tree has %d views, want %d", len(it.Views), len(views))
	}
	for i, v := range views {
		iv := it.Views[i]
		if !slices.Equal(iv.Path, v.Path) || iv.Hash != v.Hash() || !slices.Equal(iv.Informees, v.Common.Informees) {
			t.Errorf("view %s: informee tree has %s %v", v.Path, iv.Path, iv.Informees)
		}
	}
	it.Tree.Walk(func(tv *TreeView) {
		if tv.Participant != nil {
			t.Errorf("view %s: participant data visible to the mediator", tv.Path)
		}
	})
	if s := it.Tree.Submitter; s == nil || s.SubmittingParticipant != pTrader || s.Submitters[0] != bob {
		t.Errorf("submitter metadata: %+v", s)
	}
	// A view tree is not an informee tree.
	if _, err := DecodeInformeeTree(envelope(t, pl, "0.2").Plaintext); !errors.Is(err, ErrMalformedTree) {
		t.Fatalf("view tree accepted as informee tree: %v", err)
	}
}

// Every view tree of a request, however blinded, hashes to the same root.
func TestEveryTreeHashesToTheRoot(t *testing.T) {
	_, _, p := settled(t)
	for _, v := range p.Views() {
		tree, err := p.ViewTree(v.Path)
		if err != nil {
			t.Fatal(err)
		}
		if tree.RootHash() != p.RootHash() {
			t.Errorf("view tree %s hashes to %s", v.Path, tree.RootHash().Short())
		}
	}
	if _, err := p.ViewTree(ViewPath{0, 9}); !errors.Is(err, ErrUnknownView) {
		t.Fatalf("unknown view: %v", err)
	}
}

// Flipping any byte of any view tree is caught: either the bytes no longer decode as a
// canonical tree, or the tree no longer hashes to the root.
func TestAnyChangedByteDetected(t *testing.T) {
	w := newWorld(t)
	for _, s := range []*submission{w.iouTransfer(), w.dvpSettle(alice, bob)} {
		p := prepare(t, s, seedOf(9))
		var mismatches int
		for _, env := range plan(t, p, hosting).Views {
			for i := range env.Plaintext {
				b := bytes.Clone(env.Plaintext)
				b[i] ^= 0x01
				_, err := CheckViewAgainstRoot(b, p.RootHash())
				if err == nil {
					t.Fatalf("view %s: flipping byte %d went unnoticed", env.Path, i)
				}
				if errors.Is(err, ErrRootHashMismatch) {
					mismatches++
				} else if !errors.Is(err, ErrMalformedTree) {
					t.Fatalf("view %s byte %d: unexpected error %v", env.Path, i, err)
				}
			}
		}
		if mismatches == 0 {
			t.Fatal("no flip produced a well-formed tree with another root hash")
		}
	}
}

// Any byte change of the participant data that still decodes changes its hash, and hence
// the view hash.
func TestParticipantDataBytesChangeTheHash(t *testing.T) {
	_, _, p := settled(t)
	for _, v := range p.Views() {
		orig := mustMarshal(participantDataPB(&v.Participant))
		for i := range orig {
			for _, mask := range []byte{0x01, 0x80} {
				b := bytes.Clone(orig)
				b[i] ^= mask
				var m protocolpb.ViewParticipantData
				if unmarshalCanonical(b, &m, "pd") != nil {
					continue
				}
				pd, err := decodeParticipantData("pd", &m)
				if err != nil {
					continue
				}
				changed := *v
				changed.Participant = *pd
				if pd.Hash() == v.Participant.Hash() || changed.Hash() == v.Hash() {
					t.Fatalf("view %s: byte %d changed without changing the hash", v.Path, i)
				}
			}
		}
	}
}

func TestPrepareIsDeterministic(t *testing.T) {
	w := newWorld(t)
	s := w.dvpSettle(alice, bob)
	a, b := plan(t, prepare(t, s, seedOf(4)), hosting), plan(t, prepare(t, s, seedOf(4)), hosting)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("the same transaction, metadata and seed gave different plans")
	}
	other := prepare(t, s, seedOf(5))
	c := plan(t, other, hosting)
	if c.RootHash == a.RootHash || bytes.Equal(c.InformeeTree, a.InformeeTree) {
		t.Fatal("another seed gave the same root hash or informee tree")
	}
	first := prepare(t, s, seedOf(4))
	seen := map[Seed]string{}
	for i, v := range first.Views() {
		w := other.Views()[i]
		if v.Participant.Salt == w.Participant.Salt || v.Common.Salt == w.Common.Salt {
			t.Errorf("view %s: a salt does not depend on the seed", v.Path)
		}
		for _, salt := range []Seed{v.Participant.Salt, v.Common.Salt} {
			if prev, ok := seen[salt]; ok {
				t.Errorf("views %s and %s share a salt", prev, v.Path)
			}
			seen[salt] = v.Path.String()
		}
		if v.Hash() == w.Hash() {
			t.Errorf("view %s: same hash under another seed", v.Path)
		}
	}
}

func TestPrepareRejectsBadInput(t *testing.T) {
	w := newWorld(t)
	s := w.iouTransfer()
	meta := metadataFor(s)
	bad := []Metadata{meta, meta, meta, meta}
	bad[0].SubmittingParticipant = ""
	bad[1].SynchronizerID = ""
	bad[2].Submitters = nil
	bad[3].LedgerTime = testTime.Add(1)
	for i, m := range bad {
		if _, err := Prepare(s.tx, s.before, m, seedOf(1)); !errors.Is(err, ErrInvalidMetadata) {
			t.Errorf("metadata %d: %v", i, err)
		}
	}
	if _, err := Prepare(s.tx, w.acs, meta, seedOf(1)); !errors.Is(err, ErrInvalidTransaction) {
		t.Errorf("inputs unknown to the lookup: %v", err)
	}
}

func TestRootHashMessageRoundTrip(t *testing.T) {
	_, _, p := settled(t)
	pl := plan(t, p, hosting)
	for _, m := range pl.RootHashMessages {
		got, err := DecodeRootHashMessage(m.Payload)
		if err != nil || got.RootHash != p.RootHash() || got.SynchronizerID != syncID {
			t.Fatalf("%s: %+v %v", m.Participant, got, err)
		}
	}
	if _, err := DecodeRootHashMessage([]byte{0x0a, 0x01, 0x00}); !errors.Is(err, ErrMalformedTree) {
		t.Fatalf("short hash: %v", err)
	}
}
