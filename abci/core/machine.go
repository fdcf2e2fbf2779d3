package core

import (
	"errors"
	"fmt"

	pb "github.com/cometsync/cometsync/proto/sequencerpb"
)

// Machine is the sequencer state machine bound to a genesis. It holds no mutable state
// that affects results: everything that changes lives in the Reader passed to each call
// (its signature cache only memoizes a pure function). Check may run concurrently with
// Execute.
type Machine struct {
	genesis    *Genesis
	membership Membership
	sigs       *sigCache
}

// NewMachine returns the machine for a validated genesis.
func NewMachine(g *Genesis) *Machine {
	return &Machine{genesis: g, membership: MembershipFromGenesis(g), sigs: newSigCache()}
}

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
	return NewMachine(g), nil
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

// Membership returns the membership the machine routes with.
func (m *Machine) Membership() Membership { return m.membership }

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
	s, rej := DecodeSubmission(tx)
	if rej != nil {
		return nil, rej
	}
	if rej := authenticate(s, m.membership, m.sigs); rej != nil {
		return s, rej
	}
	if _, rej := validateRequest(s, m.membership, m.genesis.Parameters, nowMicros); rej != nil {
		return s, rej
	}
	rej, err := checkDedupe(r.Get, s.Request.Sender, s.Request.MessageId, nowMicros)
	if err != nil {
		return s, err
	}
	if rej != nil {
		return s, rej
	}
	return s, nil
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
	if rej := authenticate(s, m.membership, m.sigs); rej != nil {
		return rej
	}
	return nil
}

func mustMarshal(m interface{ Marshal() ([]byte, error) }) []byte {
	b, err := m.Marshal()
	if err != nil {
		panic(fmt.Sprintf("marshal of a state record failed: %v", err))
	}
	return b
}
