package core

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	"github.com/cometsync/cometsync/crypto"
	"github.com/cometsync/cometsync/seqapi"
	"github.com/cometsync/cometsync/topology"
)

// ErrInvalidGenesis is returned for a genesis app_state that cannot be used.
var ErrInvalidGenesis = errors.New("invalid genesis app state")

// Genesis is the app_state of the CometBFT genesis: the synchronizer's identity, its
// parameters and (until the topology manager replaces it) its initial members.
type Genesis struct {
	SynchronizerID  string          `json:"synchronizer_id"`
	ProtocolVersion string          `json:"protocol_version"`
	Parameters      Parameters      `json:"parameters"`
	Members         []GenesisMember `json:"members"`
	// Topology holds signed topology transactions (base64 SignedTopologyTransaction)
	// applied in order at time 0; each must be fully authorized.
	Topology []string `json:"topology,omitempty"`
}

// GenesisMember is a member with its signing keys (base64 Ed25519 public keys).
type GenesisMember struct {
	ID            string   `json:"id"`
	SigningKeys   []string `json:"signing_keys"`
	MediatorGroup uint32   `json:"mediator_group,omitempty"`
}

// Parameters are the synchronizer's dynamic limits.
type Parameters struct {
	// MaxRequestSize bounds a SignedSubmission in bytes.
	MaxRequestSize int64 `json:"max_request_size"`
	// MaxEnvelopes bounds the envelopes of one batch.
	MaxEnvelopes int64 `json:"max_envelopes"`
	// MaxRecipients bounds the recipients of one envelope.
	MaxRecipients int64 `json:"max_recipients"`
	// MaxSequencingHorizonMicros bounds how far past the current time a submission's max
	// sequencing time may lie.
	MaxSequencingHorizonMicros int64 `json:"max_sequencing_horizon_micros"`
	// MaxMessageIDLength bounds message ids in bytes.
	MaxMessageIDLength int64 `json:"max_message_id_length"`
	// TopologyChangeDelayMicros is added to the sequencing time of a topology transaction
	// to get the time from which it is in force. The delay in force is the one of the
	// on-chain SynchronizerParametersState (0 without one); this value is what genesis
	// generation puts there.
	TopologyChangeDelayMicros int64 `json:"topology_change_delay_micros"`
}

// DefaultParameters returns the parameters a new synchronizer starts with.
func DefaultParameters() Parameters {
	return Parameters{
		MaxRequestSize:             1 << 20,
		MaxEnvelopes:               1024,
		MaxRecipients:              256,
		MaxSequencingHorizonMicros: 10 * 60 * 1_000_000,
		MaxMessageIDLength:         256,
	}
}

// Validate names the first bad field.
func (p Parameters) Validate() error {
	switch {
	case p.MaxRequestSize <= 0:
		return fmt.Errorf("%w: parameters.max_request_size must be positive", ErrInvalidGenesis)
	case p.MaxEnvelopes <= 0:
		return fmt.Errorf("%w: parameters.max_envelopes must be positive", ErrInvalidGenesis)
	case p.MaxRecipients <= 0:
		return fmt.Errorf("%w: parameters.max_recipients must be positive", ErrInvalidGenesis)
	case p.MaxSequencingHorizonMicros <= 0:
		return fmt.Errorf("%w: parameters.max_sequencing_horizon_micros must be positive", ErrInvalidGenesis)
	case p.MaxMessageIDLength <= 0:
		return fmt.Errorf("%w: parameters.max_message_id_length must be positive", ErrInvalidGenesis)
	case p.TopologyChangeDelayMicros < 0:
		return fmt.Errorf("%w: parameters.topology_change_delay_micros must not be negative", ErrInvalidGenesis)
	}
	return nil
}

// EncodeKey renders a signing public key as genesis expects it.
func EncodeKey(k crypto.SigningPublicKey) string { return base64.StdEncoding.EncodeToString(k.Key) }

// ParseGenesis decodes and validates an app_state.
func ParseGenesis(b []byte) (*Genesis, error) {
	var g Genesis
	if err := json.Unmarshal(b, &g); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidGenesis, err)
	}
	if err := g.Validate(); err != nil {
		return nil, err
	}
	return &g, nil
}

// Validate checks the genesis and names the first bad field.
func (g *Genesis) Validate() error {
	if _, err := crypto.ParseUID(g.SynchronizerID); err != nil {
		return fmt.Errorf("%w: synchronizer_id: %v", ErrInvalidGenesis, err)
	}
	if g.ProtocolVersion != seqapi.ProtocolVersion {
		return fmt.Errorf("%w: protocol_version %q, this node speaks %q", ErrInvalidGenesis, g.ProtocolVersion, seqapi.ProtocolVersion)
	}
	if err := g.Parameters.Validate(); err != nil {
		return err
	}
	if _, err := g.TopologyState(); err != nil {
		return err
	}
	seen := make(map[string]bool, len(g.Members))
	for i, m := range g.Members {
		if _, err := crypto.ParseMember(m.ID); err != nil {
			return fmt.Errorf("%w: members[%d].id: %v", ErrInvalidGenesis, i, err)
		}
		if seen[m.ID] {
			return fmt.Errorf("%w: members[%d]: duplicate member %s", ErrInvalidGenesis, i, m.ID)
		}
		seen[m.ID] = true
		if len(m.SigningKeys) == 0 {
			return fmt.Errorf("%w: members[%d] (%s): no signing key", ErrInvalidGenesis, i, m.ID)
		}
		for j, k := range m.SigningKeys {
			if _, err := decodeKey(k); err != nil {
				return fmt.Errorf("%w: members[%d].signing_keys[%d]: %v", ErrInvalidGenesis, i, j, err)
			}
		}
	}
	return nil
}

// Canonical returns the deterministic encoding of g with members sorted by id.
func (g *Genesis) Canonical() []byte {
	c := *g
	c.Members = append([]GenesisMember(nil), g.Members...)
	sort.Slice(c.Members, func(i, j int) bool { return c.Members[i].ID < c.Members[j].ID })
	b, err := json.Marshal(&c)
	if err != nil {
		panic(fmt.Sprintf("genesis: marshal of a validated value failed: %v", err))
	}
	return b
}

func decodeKey(s string) (crypto.SigningPublicKey, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return crypto.SigningPublicKey{}, fmt.Errorf("not base64: %v", err)
	}
	return crypto.SigningPublicKeyFromBytes(b)
}

// TopologyState applies the genesis topology transactions to an empty state at time 0.
func (g *Genesis) TopologyState() (*topology.State, error) {
	uid, err := crypto.ParseUID(g.SynchronizerID)
	if err != nil {
		return nil, fmt.Errorf("%w: synchronizer_id: %v", ErrInvalidGenesis, err)
	}
	st := topology.NewState(uid)
	for i, enc := range g.Topology {
		b, err := base64.StdEncoding.DecodeString(enc)
		if err != nil {
			return nil, fmt.Errorf("%w: topology[%d]: not base64: %v", ErrInvalidGenesis, i, err)
		}
		out, err := st.ApplyBytes(b, 0, 0)
		if err != nil {
			return nil, fmt.Errorf("%w: topology[%d]: %v", ErrInvalidGenesis, i, err)
		}
		if out.Kind != topology.OutcomeApplied {
			return nil, fmt.Errorf("%w: topology[%d]: not fully authorized (%s)", ErrInvalidGenesis, i, out.Kind)
		}
	}
	return st, nil
}
