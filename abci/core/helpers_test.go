package core_test

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"strings"
	"testing"

	"github.com/cometsync/cometsync/abci/core"
	"github.com/cometsync/cometsync/crypto"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
	"github.com/cometsync/cometsync/seqapi"
)

// t0 is the block time of the first block in most tests (microseconds).
const t0 int64 = 1_700_000_000_000_000

// fixture is a genesis built from member specs with deterministic keys, and the machine
// running it.
type fixture struct {
	g       *core.Genesis
	m       *core.Machine
	ids     map[string]string // spec ("PAR::alice") -> member id
	keys    map[string]crypto.SigningPrivateKey
	members []string // member ids in spec order
}

// testKey derives a key from a label, so corpus files stay valid across runs.
func testKey(label string) crypto.SigningPrivateKey {
	seed := sha256.Sum256([]byte("coretest/" + label))
	k, err := crypto.SigningKeyFromSeed(seed[:])
	if err != nil {
		panic(err)
	}
	return k
}

// memberID returns the member id a spec gets (whether or not it is in a genesis).
func memberID(spec string) string {
	kind, name, _ := strings.Cut(spec, "::")
	name, _, _ = strings.Cut(name, "@")
	return kind + "::" + name + "::" + string(testKey(spec).Fingerprint())
}

// newFixture builds a genesis from specs "KIND::name" or "MED::name@group".
func newFixture(tb testing.TB, p core.Parameters, specs ...string) *fixture {
	tb.Helper()
	f := &fixture{
		g: &core.Genesis{
			SynchronizerID:  "sync::" + string(testKey("synchronizer").Fingerprint()),
			ProtocolVersion: seqapi.ProtocolVersion,
			Parameters:      p,
		},
		ids:  make(map[string]string),
		keys: make(map[string]crypto.SigningPrivateKey),
	}
	for _, spec := range specs {
		id := memberID(spec)
		gm := core.GenesisMember{ID: id, SigningKeys: []string{core.EncodeKey(testKey(spec).Public())}}
		if _, group, ok := strings.Cut(spec, "@"); ok {
			var n uint32
			if _, err := fmt.Sscan(group, &n); err != nil {
				tb.Fatalf("spec %q: %v", spec, err)
			}
			gm.MediatorGroup = n
		}
		f.g.Members = append(f.g.Members, gm)
		f.ids[spec] = id
		f.keys[id] = testKey(spec)
		f.members = append(f.members, id)
	}
	if err := f.g.Validate(); err != nil {
		tb.Fatal(err)
	}
	f.m = core.NewMachine(f.g)
	return f
}

// id returns the member id of a spec of the fixture.
func (f *fixture) id(spec string) string {
	id, ok := f.ids[spec]
	if !ok {
		panic("no member " + spec)
	}
	return id
}

// sign serializes req and signs it as a client does, with the key of req.Sender.
func (f *fixture) sign(req *pb.SubmissionRequest) []byte {
	k, ok := f.keys[req.Sender]
	if !ok {
		panic("no key for " + req.Sender)
	}
	return signWith(k, req)
}

func signWith(k crypto.SigningPrivateKey, req *pb.SubmissionRequest) []byte {
	reqBytes := mustMarshal(req)
	return mustMarshal(&pb.SignedSubmission{
		Request:    reqBytes,
		Signature:  k.Sign(crypto.PurposeSubmissionRequest, reqBytes),
		SigningKey: string(k.Fingerprint()),
	})
}

func mustMarshal(m interface{ Marshal() ([]byte, error) }) []byte {
	b, err := m.Marshal()
	if err != nil {
		panic(err)
	}
	return b
}

func request(sender, msgID string, maxSeq int64, envs ...*pb.Envelope) *pb.SubmissionRequest {
	return &pb.SubmissionRequest{Sender: sender, MessageId: msgID, MaxSequencingTimeMicros: maxSeq, Batch: &pb.Batch{Envelopes: envs}}
}

func envelope(content string, rs ...*pb.Recipient) *pb.Envelope {
	return &pb.Envelope{Content: []byte(content), Recipients: rs}
}

func to(member string) *pb.Recipient { return &pb.Recipient{Member: member} }

func group(k pb.GroupKind, index uint32) *pb.Recipient {
	return &pb.Recipient{Group: k, GroupIndex: index}
}

var (
	allMembers = group(pb.GroupKind_GROUP_KIND_ALL_MEMBERS, 0)
	sequencers = group(pb.GroupKind_GROUP_KIND_SEQUENCERS, 0)
	topoMgr    = group(pb.GroupKind_GROUP_KIND_TOPOLOGY_MANAGER, 0)
)

func mediators(n uint32) *pb.Recipient { return group(pb.GroupKind_GROUP_KIND_MEDIATOR_GROUP, n) }

// replica is one validator's committed state.
type replica struct {
	tb     testing.TB
	f      *fixture
	r      *core.MemReader
	height int64
}

func (f *fixture) newReplica(tb testing.TB) *replica {
	r := core.NewMemReader()
	r.Apply(core.InitGenesis(f.g))
	return &replica{tb: tb, f: f, r: r}
}

// exec executes and commits the next block.
func (x *replica) exec(timeMicros int64, txs ...[]byte) *core.Outcome {
	x.tb.Helper()
	out, err := x.f.m.Execute(x.r, core.Block{Height: x.height + 1, TimeMicros: timeMicros, Txs: txs})
	if err != nil {
		x.tb.Fatalf("Execute block %d: %v", x.height+1, err)
	}
	if len(out.TxResults) != len(txs) {
		x.tb.Fatalf("block %d: %d tx results for %d txs", x.height+1, len(out.TxResults), len(txs))
	}
	x.r.Apply(out.Writes)
	x.f.m.Adopt(out)
	x.height++
	return out
}

// events returns the whole stream of member.
func (x *replica) events(member string) []*pb.SequencedEvent {
	x.tb.Helper()
	evs, err := core.ReadEvents(x.r, member, 0, 1<<30)
	if err != nil {
		x.tb.Fatalf("ReadEvents(%s): %v", member, err)
	}
	return evs
}

// check runs Check against the committed state.
func (x *replica) check(tx []byte, now int64) error {
	_, err := x.f.m.Check(x.r, tx, now)
	return err
}

func short(id string) string {
	if i := strings.LastIndex(id, "::"); i > 0 {
		return id[:i]
	}
	return id
}

// contents returns the contents of the envelopes of a delivery.
func contents(ev *pb.SequencedEvent) []string {
	var out []string
	for _, e := range ev.GetBatch().GetEnvelopes() {
		out = append(out, string(e.Content))
	}
	return out
}

// smallParams are limits small enough for the rejection tests.
func smallParams() core.Parameters {
	p := core.DefaultParameters()
	p.MaxRequestSize = 2048
	p.MaxEnvelopes = 3
	p.MaxRecipients = 3
	p.MaxSequencingHorizonMicros = 10_000
	p.MaxMessageIDLength = 16
	return p
}

// sameMsg compares two messages by their (deterministic) encoding.
func sameMsg(a, b interface{ Marshal() ([]byte, error) }) bool {
	return bytes.Equal(mustMarshal(a), mustMarshal(b))
}
