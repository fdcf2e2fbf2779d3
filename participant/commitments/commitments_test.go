package commitments_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/cometsync/cometsync/crypto"
	"github.com/cometsync/cometsync/ledger"
	"github.com/cometsync/cometsync/participant/commitments"
	"github.com/cometsync/cometsync/protocol"
)

const (
	me, other, third = "PAR::me::1", "PAR::other::1", "PAR::third::1"
	second           = int64(1_000_000)
)

func contract(id byte, stakeholders ...ledger.Party) *ledger.Contract {
	return &ledger.Contract{ID: ledger.ContractID("00" + string(bytes.Repeat([]byte{'a' + id%6}, 64))), Template: ledger.TemplateID{Package: "p", Name: "T"},
		Arguments: ledger.Record{"n": ledger.IntValue(int64(id))}, Signatories: ledger.NewPartySet(stakeholders...)}
}

// hosts: Alice on me, Bob on other, Carol on third.
func hosts(party string) []string {
	return map[string][]string{"Alice": {me}, "Bob": {other}, "Carol": {third}}[party]
}

func TestCommitmentsFollowTheSharedContracts(t *testing.T) {
	ab1, ab2, ac := contract(1, "Alice", "Bob"), contract(2, "Alice", "Bob"), contract(3, "Alice", "Carol")
	// The same ACS reached in two orders gives the same commitments.
	x := commitments.New(me, ledger.ContractMap{ab1.ID: ab1, ab2.ID: ab2, ac.ID: ac}, commitments.State{})
	y := commitments.New(me, nil, commitments.State{})
	y.Apply([]*ledger.Contract{ac, ab2}, nil)
	y.Apply([]*ledger.Contract{ab1}, nil)
	cx, _ := x.Tick(5*second+1, second, hosts)
	cy, _ := y.Tick(5*second+1, second, hosts)
	if len(cx) != 2 || cx[0].Counter != other || cx[1].Counter != third {
		t.Fatalf("commitments %v, want one to other and one to third", cx)
	}
	for i := range cx {
		if !bytes.Equal(cx[i].Hash, cy[i].Hash) || cx[i].Start != 4*second || cx[i].End != 5*second {
			t.Fatalf("%v and %v differ", cx[i], cy[i])
		}
	}
	// No tick crossed: nothing.
	if c, o := x.Tick(5*second+7, second, hosts); c != nil || o != nil {
		t.Fatalf("no tick crossed, got %v %v", c, o)
	}
	// Archiving a contract shared with other changes only other's commitment; the period
	// covers every tick since the last one.
	x.Apply(nil, []ledger.ContractID{ab1.ID})
	c2, _ := x.Tick(9*second+1, second, hosts)
	if c2[0].Start != 5*second || c2[0].End != 9*second || bytes.Equal(c2[0].Hash, cx[0].Hash) || !bytes.Equal(c2[1].Hash, cx[1].Hash) {
		t.Fatalf("after archiving: %v (before %v)", c2, cx)
	}
	// The last contract shared with third goes: third gets the empty set's commitment
	// once, then nothing.
	x.Apply(nil, []ledger.ContractID{ac.ID})
	c3, _ := x.Tick(10*second+1, second, hosts)
	if len(c3) != 2 || c3[1].Counter != third || !bytes.Equal(c3[1].Hash, commitments.Empty()) {
		t.Fatalf("after sharing ended: %v", c3)
	}
	if c4, _ := x.Tick(11*second+1, second, hosts); len(c4) != 1 || c4[0].Counter != other {
		t.Fatalf("a tick later: %v", c4)
	}
}

func TestReceiveComparesOverlappingPeriods(t *testing.T) {
	ab := contract(1, "Alice", "Bob")
	mine := commitments.New(me, ledger.ContractMap{ab.ID: ab}, commitments.State{})
	theirs := commitments.New(other, ledger.ContractMap{ab.ID: ab}, commitments.State{})
	hostsOther := func(p string) []string { return hosts(p) }
	own, _ := mine.Tick(3*second+1, second, hosts)
	// The counter-participant's period (1s, 5s] reaches past our last tick: it waits.
	theirsC, _ := theirs.Tick(5*second+1, second, hostsOther)
	theirsC[0].Start = 1 * second
	got, tooOld := mine.Receive(commitments.Commitment{Counter: other, Start: theirsC[0].Start, End: theirsC[0].End, Hash: theirsC[0].Hash})
	if tooOld || got != nil {
		t.Fatalf("compared before our ticks came: %v %v", got, tooOld)
	}
	_, outcomes := mine.Tick(6*second+1, second, hosts)
	if len(outcomes) != 2 || !outcomes[0].Match || !outcomes[1].Match || outcomes[0].Start != 2*second || outcomes[1].End != 5*second {
		t.Fatalf("outcomes %v (own %v)", outcomes, own)
	}
	// A different hash is a mismatch over the overlap.
	bad, _ := mine.Receive(commitments.Commitment{Counter: other, Start: 3 * second, End: 6 * second, Hash: commitments.Empty()})
	if len(bad) != 1 || bad[0].Match || bad[0].Start != 3*second || bad[0].End != 6*second {
		t.Fatalf("mismatch %v", bad)
	}
	// A commitment older than every period kept is not compared.
	if _, tooOld := mine.Receive(commitments.Commitment{Counter: other, Start: 0, End: second, Hash: commitments.Empty()}); !tooOld {
		t.Fatal("an old commitment was compared")
	}
	// The state survives a restart: the same comparisons.
	again := commitments.New(me, ledger.ContractMap{ab.ID: ab}, mine.State())
	if o, _ := again.Receive(commitments.Commitment{Counter: other, Start: 3 * second, End: 6 * second, Hash: commitments.Empty()}); len(o) != 1 || o[0].Match {
		t.Fatalf("after a restart: %v", o)
	}
}

func TestDecodeChecksSenderRecipientAndSignature(t *testing.T) {
	key, _ := crypto.GenerateSigningKey(nil)
	wrong, _ := crypto.GenerateSigningKey(nil)
	keys := protocol.StaticKeys{other: {key.Public()}}
	c := commitments.Commitment{Counter: me, Start: second, End: 2 * second, Hash: commitments.Empty()}
	b, err := commitments.Encode(key, "sync::1", other, c)
	if err != nil {
		t.Fatal(err)
	}
	got, err := commitments.Decode(b, keys, "sync::1", me, other, 3*second)
	if err != nil || got.Counter != other || got.End != c.End || !bytes.Equal(got.Hash, c.Hash) {
		t.Fatalf("decode: %v %v", got, err)
	}
	forged, _ := commitments.Encode(wrong, "sync::1", other, c)
	for name, tc := range map[string]struct {
		b       []byte
		me, snd string
		want    error
	}{
		"another sender":     {b, me, third, commitments.ErrWrongSender},
		"for someone else":   {b, third, other, commitments.ErrNotForUs},
		"another key":        {forged, me, other, commitments.ErrBadSignature},
		"not a commitment":   {[]byte("poke"), me, other, commitments.ErrNotACommitment},
		"truncated envelope": {b[:len(b)-3], me, other, commitments.ErrNotACommitment},
	} {
		if _, err := commitments.Decode(tc.b, keys, "sync::1", tc.me, tc.snd, 3*second); !errors.Is(err, tc.want) {
			t.Errorf("%s: got %v, want %v", name, err, tc.want)
		}
	}
}

func FuzzDecode(f *testing.F) {
	key, _ := crypto.GenerateSigningKey(nil)
	keys := protocol.StaticKeys{other: {key.Public()}}
	b, _ := commitments.Encode(key, "sync::1", other, commitments.Commitment{Counter: me, Start: 1, End: 2, Hash: commitments.Empty()})
	f.Add(b)
	f.Add([]byte{0x2a, 0x00})
	f.Add([]byte("poke"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := commitments.Decode(b, keys, "sync::1", me, other, 3)
		if err == nil && (c.Counter != other || c.End <= c.Start) {
			t.Fatalf("accepted %v", c)
		}
	})
}
