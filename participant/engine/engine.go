package engine

import (
	"errors"
	"fmt"
	"time"

	"github.com/cometsync/cometsync/crypto"
	"github.com/cometsync/cometsync/ledger"
	"github.com/cometsync/cometsync/mediator"
	"github.com/cometsync/cometsync/participant/protocol"
	protocolpb "github.com/cometsync/cometsync/proto/protocolpb"
	seqpb "github.com/cometsync/cometsync/proto/sequencerpb"
	"github.com/cometsync/cometsync/topology"
)

// Config binds an engine to its participant and the synchronizer.
type Config struct {
	// Participant is this participant's member id.
	Participant    string
	SynchronizerID string
	MediatorGroup  uint32
	// Packages are the vetted packages views are reinterpreted with.
	Packages *ledger.PackageSet
	// SigningKey signs the confirmation responses.
	SigningKey crypto.SigningPrivateKey
	// Decryption returns the encryption private key with a public fingerprint (current or
	// superseded, so that history decrypts).
	Decryption func(crypto.Fingerprint) (crypto.EncryptionPrivateKey, bool)
	// Hosting is the party hosting in force at a sequencing time.
	Hosting func(at int64) protocol.Hosting
	// Mediators verifies the mediators' signatures on verdicts.
	Mediators mediator.Verifier
	// MediatorMembers are the members of the mediator group at a sequencing time; the
	// responses are sealed to them.
	MediatorMembers func(at int64) []string
	// Keys gives the encryption keys in force at a sequencing time.
	Keys func(at int64) protocol.EncryptionKeys
	// Tolerance bounds |ledger time - sequencing time|.
	Tolerance time.Duration
}

// Validate names the first missing field.
func (c Config) Validate() error {
	switch {
	case c.Participant == "":
		return errors.New("engine config: participant is empty")
	case c.Packages == nil:
		return errors.New("engine config: packages are nil")
	case len(c.SigningKey.Key) == 0:
		return errors.New("engine config: signing key is not set")
	case c.Decryption == nil || c.Hosting == nil || c.Mediators == nil || c.MediatorMembers == nil || c.Keys == nil:
		return errors.New("engine config: decryption, hosting, mediators, mediator members and keys must be set")
	case c.Tolerance <= 0:
		return errors.New("engine config: tolerance must be positive")
	}
	return nil
}

// Send is a batch the participant must submit, under a message id derived from the
// event that caused it (so a replay produces the same id and the sequencer's dedupe
// keeps it from being sequenced twice).
//
// A send holds the signed response unsealed: sealing it to the mediators (HPKE) is left
// to SealSend, called only for what is actually sent, so that a replay, which finds
// almost every response already sequenced, does not pay for encryption.
type Send struct {
	MessageID string
	RequestID int64 // sequencing time of the request answered
	RootHash  protocol.Hash
	Signed    []byte // mediator.SignResponse
}

// Update is a committed transaction as this participant sees it.
type Update struct {
	Offset    int64
	RequestID int64
	RootHash  protocol.Hash
	Created   []*ledger.Contract // sorted by id
	Archived  []ledger.ContractID
}

// Completion is the outcome of a confirmation request this participant took part in.
type Completion struct {
	RequestID int64
	Committed bool
	Offset    int64 // of the update, when committed
	Reason    string
}

// Ready is what the engine decided since the last call of Ready.
type Ready struct {
	Sends       []Send
	Updates     []Update
	Completions []Completion
	// PendingAdded and PendingRemoved are the requests that started or stopped awaiting
	// a verdict, for a store that keeps the checkpoint incrementally.
	PendingAdded   []PendingRequest
	PendingRemoved []int64
}

// request is a confirmation request awaiting its verdict.
type request struct {
	root     protocol.Hash
	consumed []ledger.ContractID // what the views archive, sorted
	created  []*ledger.Contract  // what the views create, in view order
	locked   []ledger.ContractID
	approved bool
}

// Engine is the participant core. It is not safe for concurrent use.
type Engine struct {
	cfg     Config
	acs     ledger.ContractMap
	locks   map[ledger.ContractID]int64
	pending map[int64]*request
	offset  int64
	ready   Ready
}

// New returns an engine over the given active contracts (copied).
func New(cfg Config, acs ledger.ContractMap) (*Engine, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	e := &Engine{cfg: cfg, acs: ledger.ContractMap{}, locks: map[ledger.ContractID]int64{}, pending: map[int64]*request{}}
	for id, c := range acs {
		e.acs[id] = c
	}
	return e, nil
}

// ACS returns the active contracts (the caller must not modify them).
func (e *Engine) ACS() ledger.ContractMap { return e.acs }

// Ready returns and clears what the engine decided.
func (e *Engine) Ready() Ready {
	r := e.ready
	e.ready = Ready{}
	return r
}

// incoming is what one delivery holds for the engine.
type incoming struct {
	rootHashes [][]byte
	views      []openedView
	results    [][]byte
}

type openedView struct {
	plaintext  []byte
	recipients []string
	// checked is the view decoded and checked against the event's root hash (when the
	// event has exactly one), or the failure of that check.
	checked  *protocol.ReceivedView
	rootErr  error
	pure     protocol.PureResults
	hasCheck bool
}

// Step processes the next event of the participant's stream.
func (e *Engine) Step(ev *seqpb.SequencedEvent) error { return e.StepOpened(ev, e.Open(ev)) }

// Opened is what one event holds for the engine, decrypted.
type Opened struct{ in incoming }

// Open decrypts and sorts what ev holds for the engine. It reads only the engine's
// configuration, so a node may open the next events concurrently, ahead of StepOpened
// (which must see the events in stream order).
func (e *Engine) Open(ev *seqpb.SequencedEvent) Opened {
	if ev.GetKind() != seqpb.EventKind_EVENT_KIND_DELIVER {
		return Opened{}
	}
	return Opened{in: e.sort(ev)}
}

// StepOpened processes the next event of the stream, opened by Open.
func (e *Engine) StepOpened(ev *seqpb.SequencedEvent, o Opened) error {
	if ev.GetKind() != seqpb.EventKind_EVENT_KIND_DELIVER {
		return nil
	}
	in := o.in
	for _, r := range in.results {
		if err := e.handleResult(ev.TimestampMicros, r); err != nil {
			return err
		}
	}
	if len(in.rootHashes) == 1 && len(in.views) > 0 {
		return e.handleRequest(ev.TimestampMicros, in)
	}
	return nil
}

// sort classifies the envelopes of a delivery; anything undecodable is not for the
// engine (and other members get the same bytes, so ignoring it is deterministic).
func (e *Engine) sort(ev *seqpb.SequencedEvent) incoming {
	var in incoming
	for _, env := range ev.GetBatch().GetEnvelopes() {
		if topology.IsTopologyEnvelope(env) {
			continue
		}
		msg, err := protocol.DecodeMessage(env.Content)
		if err != nil {
			continue
		}
		switch {
		case msg.GetRootHash() != nil && names(env, e.cfg.Participant):
			in.rootHashes = append(in.rootHashes, msg.GetRootHash().RootHash)
		case msg.GetEncrypted() != nil:
			op, err := protocol.OpenPayload(env.Content, e.cfg.Participant, e.cfg.Decryption)
			switch {
			case err != nil:
			case op.Kind == protocolpb.EncryptedPayload_KIND_VIEW:
				in.views = append(in.views, openedView{plaintext: op.Plaintext, recipients: protocol.MemberRecipients(env)})
			case op.Kind == protocolpb.EncryptedPayload_KIND_TRANSACTION_RESULT:
				in.results = append(in.results, op.Plaintext)
			}
		}
	}
	if len(in.rootHashes) == 1 { // decode and hash-check the views here: it is pure
		if root, err := toHash(in.rootHashes[0]); err == nil {
			for i := range in.views {
				ov := &in.views[i]
				ov.checked, ov.rootErr = protocol.CheckViewAgainstRoot(ov.plaintext, root)
				if ov.rootErr == nil {
					v := protocol.Validator{Packages: e.cfg.Packages, Tolerance: e.cfg.Tolerance}
					ov.pure = v.PureChecks(ov.checked, time.UnixMicro(ev.TimestampMicros))
				}
				ov.hasCheck = true
			}
		}
	}
	return in
}

func names(env *seqpb.Envelope, member string) bool {
	for _, r := range env.Recipients {
		if r.Member == member {
			return true
		}
	}
	return false
}

func toHash(b []byte) (protocol.Hash, error) {
	var h protocol.Hash
	if len(b) != len(h) {
		return h, fmt.Errorf("hash of %d bytes", len(b))
	}
	copy(h[:], b)
	return h, nil
}
