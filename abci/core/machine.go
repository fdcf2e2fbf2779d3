package core

import (
	"errors"
	"fmt"
	"sync"

	"github.com/cometsync/cometsync/crypto"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
	"github.com/cometsync/cometsync/seqproof"
	"github.com/cometsync/cometsync/topology"
)

// Machine is the sequencer state machine bound to a genesis. It holds no mutable state
// that affects results: everything that changes lives in the Reader passed to each call
// (its signature cache only memoizes a pure function). Check may run concurrently with
// Execute.
type Machine struct {
	genesis    *Genesis
	membership Membership // the genesis members
	sigs       *sigCache

	mu       sync.RWMutex
	topo     *topology.State // committed on-chain topology; replaced (never mutated) at Commit
	topoRoot []byte          // membershipRoot of topo, computed once per change
	head     Membership      // membership at the head of topo, computed once per change
	headSnap *topology.Snapshot
	// counters are the counter sets of the last committed heights, oldest first (the
	// last is the committed state's); derived values, never read for a block whose state
	// they do not belong to (counterSetFor).
	counters []*counterSet
}

// NewMachine returns the machine for a validated genesis, with the topology state its
// genesis transactions define.
func NewMachine(g *Genesis) *Machine {
	st, err := g.TopologyState()
	if err != nil {
		panic(fmt.Sprintf("NewMachine with an invalid genesis: %v", err))
	}
	m := &Machine{genesis: g, membership: MembershipFromGenesis(g), sigs: newSigCache()}
	m.setTopology(st)
	m.counters = []*counterSet{{root: seqproof.CountersRootOf(nil), hashes: updateLevels(nil, nil, nil, 0)}} // the empty state of InitGenesis
	return m
}

// setTopology installs st as the committed topology with its derived values.
func (m *Machine) setTopology(st *topology.State) {
	snap := st.Head()
	root, head := m.membershipRoot(st), newComposite(m.membership, snap)
	m.mu.Lock()
	m.topo, m.topoRoot, m.head, m.headSnap = st, root, head, snap
	m.mu.Unlock()
}

// headSnapshot is the head of the committed topology (what CheckTx's estimates use).
func (m *Machine) headSnapshot() *topology.Snapshot {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.headSnap
}

// topology returns the committed topology state; callers must not modify it.
func (m *Machine) topology() *topology.State {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.topo
}

// Adopt makes the topology state an Outcome produced the committed one. The ABCI
// adapter calls it in Commit, after writing the outcome.
func (m *Machine) Adopt(o *Outcome) {
	if o.counters != nil {
		m.adoptCounters(o.counters)
	}
	if o.Topology == nil {
		return
	}
	m.setTopology(o.Topology)
}

// MembershipAt returns the membership in force at sequencing time t: the genesis members
// overlaid by the committed topology as of t.
func (m *Machine) MembershipAt(t int64) Membership {
	return newComposite(m.membership, m.topology().SnapshotAt(t))
}

// TopologyHash is the hash of the committed topology state (equal on every replica).
func (m *Machine) TopologyHash() []byte { return m.topology().Hash() }

// GenesisMembersRoot is the root of the genesis members, which the membership root of the
// app hash hashes with the topology state's hash.
func (m *Machine) GenesisMembersRoot() []byte { return m.membership.Root() }

// StateRoot is the membership part of the app hash for the committed state.
func (m *Machine) StateRoot() []byte {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.topoRoot
}

// membershipRoot commits to the genesis members and the whole topology state st (its
// history and proposals), for the app hash.
func (m *Machine) membershipRoot(st *topology.State) []byte {
	return crypto.NewHasher(crypto.PurposeMembershipRoot).AddBytes(m.membership.Root()).AddBytes(st.Hash()).Sum()
}

// TopologyAt returns the committed topology snapshot as of t.
func (m *Machine) TopologyAt(t int64) *topology.Snapshot { return m.topology().SnapshotAt(t) }

// LoadMachine reads the genesis stored by InitGenesis. It returns ErrNotFound when the
// chain has not been initialized.
func LoadMachine(r Reader) (*Machine, error) {
	b, err := r.Get(KeyGenesis())
	if err != nil {
		return nil, err
	}
	g, err := ParseGenesis(b)
	if err != nil {
		return nil, fmt.Errorf("stored genesis: %w", err)
	}
	m := NewMachine(g)
	meta, err := ReadMeta(r)
	if err != nil {
		return nil, err
	}
	cs, err := loadCounterSet(r, meta)
	if err != nil {
		return nil, err
	}
	m.counters = []*counterSet{cs}
	tb, err := r.Get(KeyTopology())
	if errors.Is(err, ErrNotFound) {
		return m, nil
	}
	if err != nil {
		return nil, err
	}
	st, err := topology.Unmarshal(tb)
	if err != nil {
		return nil, fmt.Errorf("stored topology state: %w", err)
	}
	m.setTopology(st)
	return m, nil
}

// InitGenesis returns the writes that initialize an empty state with genesis g.
func InitGenesis(g *Genesis) []Write {
	meta := &pb.AppMeta{}
	return []Write{
		{Key: KeyGenesis(), Value: g.Canonical()},
		{Key: KeyMeta(), Value: mustMarshal(meta)},
	}
}

// Genesis returns the genesis the machine runs.
func (m *Machine) Genesis() *Genesis { return m.genesis }

// Membership returns the membership in force now (the head of the topology state).
func (m *Machine) Membership() Membership {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.head
}

// Parameters returns the synchronizer parameters.
func (m *Machine) Parameters() Parameters { return m.genesis.Parameters }

// ReadMeta returns the committed head (zero value before the first block).
func ReadMeta(r Reader) (*pb.AppMeta, error) {
	b, err := r.Get(KeyMeta())
	if errors.Is(err, ErrNotFound) {
		return &pb.AppMeta{}, nil
	}
	if err != nil {
		return nil, err
	}
	var meta pb.AppMeta
	if err := meta.Unmarshal(b); err != nil {
		return nil, fmt.Errorf("stored app meta: %w", err)
	}
	return &meta, nil
}

// Check validates a transaction for mempool admission against committed state. now is
// the checker's notion of current time in microseconds (advisory: Execute decides).
// It returns a *SubmissionError for a refused submission and a plain error only when the
// state cannot be read.
func (m *Machine) Check(r Reader, tx []byte, nowMicros int64) (*Submission, error) {
	if IsAckTx(tx) {
		return nil, m.CheckAck(r, tx)
	}
	s, rej := DecodeSubmission(tx)
	if rej != nil {
		return nil, rej
	}
	return s, m.CheckDecoded(r, s, nowMicros)
}

// CheckDecoded is Check for a transaction the caller has already decoded with
// DecodeSubmission; s is only read. The node's API decodes each submission once and
// hands the result to CheckTx through the application (abci.App.CheckTx).
func (m *Machine) CheckDecoded(r Reader, s *Submission, nowMicros int64) error {
	mem := m.Membership()
	if rej := authenticateAny(s, mem, m.sigs); rej != nil {
		return rej
	}
	routes, rej := validateRequest(s, mem, m.genesis.Parameters, nowMicros)
	if rej != nil {
		return rej
	}
	rej, err := checkDedupe(r.Get, s.Request.Sender, s.Request.MessageId, nowMicros)
	if err != nil {
		return err
	}
	if rej != nil {
		return rej
	}
	if rej, err = m.checkTraffic(r, s, routes, mem, nowMicros); err != nil {
		return err
	}
	if rej != nil {
		return rej
	}
	return nil
}

// Authenticate decodes tx and verifies its sender's signature, remembering the result so
// that Check and Execute do not verify it again. The node calls it from its API
// goroutines before handing tx to the mempool, whose CheckTx calls run one at a time:
// this moves the expensive part of admission out of that serial section.
func (m *Machine) Authenticate(tx []byte) error {
	s, rej := DecodeSubmission(tx)
	if rej != nil {
		return rej
	}
	return m.AuthenticateDecoded(s)
}

// AuthenticateDecoded is Authenticate for a submission already decoded.
func (m *Machine) AuthenticateDecoded(s *Submission) error {
	if rej := authenticateAny(s, m.Membership(), m.sigs); rej != nil {
		return rej
	}
	return nil
}

// AuthenticateBatch is Authenticate for several transactions: the signatures of those
// that name a current key of a member are verified together first (a batch costs a
// fraction of verifying each alone), then each transaction is authenticated as
// Authenticate would, with an error (nil: authentic) per transaction in order.
func (m *Machine) AuthenticateBatch(txs [][]byte) []error {
	subs := make([]*Submission, len(txs))
	errs := make([]error, len(txs))
	for i, tx := range txs {
		s, rej := DecodeSubmission(tx)
		if rej != nil {
			errs[i] = rej
			continue
		}
		subs[i] = s
	}
	for i, err := range m.AuthenticateSubmissions(subs) {
		if subs[i] != nil {
			errs[i] = err
		}
	}
	return errs
}

// AuthenticateSubmissions is AuthenticateBatch for submissions already decoded (nil
// entries are skipped and get a nil error).
func (m *Machine) AuthenticateSubmissions(subs []*Submission) []error {
	mem := m.Membership()
	var batch []signed
	for _, s := range subs {
		if s == nil || !mem.IsMember(s.Request.Sender) {
			continue // onboarding: its key comes from its own content
		}
		if key, ok := mem.SigningKey(s.Request.Sender, crypto.Fingerprint(s.Signed.SigningKey)); ok {
			batch = append(batch, signed{key: key, sub: s})
		}
	}
	m.sigs.verifyBatch(batch)
	errs := make([]error, len(subs))
	for i, s := range subs {
		if s == nil {
			continue
		}
		if rej := authenticateAny(s, mem, m.sigs); rej != nil {
			errs[i] = rej
		}
	}
	return errs
}

func mustMarshal(m interface{ Marshal() ([]byte, error) }) []byte {
	b, err := m.Marshal()
	if err != nil {
		panic(fmt.Sprintf("marshal of a state record failed: %v", err))
	}
	return b
}
