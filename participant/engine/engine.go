package engine

import (
	"errors"
	"fmt"

	"github.com/cometsync/cometsync/crypto"
	"github.com/cometsync/cometsync/ledger"
	protocolpb "github.com/cometsync/cometsync/proto/protocolpb"
	seqpb "github.com/cometsync/cometsync/proto/sequencerpb"
	topopb "github.com/cometsync/cometsync/proto/topologypb"
	"github.com/cometsync/cometsync/protocol"
	"github.com/cometsync/cometsync/topology"
)

// Topology is the synchronizer state the engine consults, always as of a sequencing
// time (a request's, or a verdict's for its signature). Implementations must answer the
// same for the same time on every replay: the node answers from the on-chain topology
// state it follows, so every participant answers alike.
type Topology interface {
	// Hosting resolves parties to every participant hosting them, whatever the permission.
	Hosting(at int64) protocol.Hosting
	// Permission returns participant's permission for party, false when it does not host it.
	Permission(at int64, party, participant string) (topopb.ParticipantPermission, bool)
	// ConfirmingHosts returns the participants hosting party with a permission to
	// confirm (Submission or Confirmation) and the party's confirmation threshold.
	ConfirmingHosts(at int64, party string) (hosts []string, threshold int)
	// HostedParties lists the parties participant hosts, with its permission for each.
	HostedParties(at int64, participant string) []topology.HostedParty
	// MediatorGroup returns the active mediators of group and its threshold.
	MediatorGroup(at int64, group uint32) (active []string, threshold int, ok bool)
	// Verify returns nil when signature is member's signature of digest with its signing
	// key of fingerprint key.
	Verify(member, key string, at int64, digest, signature []byte) error
	// EncryptionKeys gives the encryption key in force for each member (for sealing).
	EncryptionKeys(at int64) protocol.EncryptionKeys
	// EncryptionKey returns member's encryption key with fingerprint fp, if fp is one of
	// the member's keys.
	EncryptionKey(at int64, member string, fp crypto.Fingerprint) (crypto.EncryptionPublicKey, bool)
	// Parameters are the protocol parameters (ledger time tolerance, decision timeout,
	// mediator reaction timeout) of the on-chain synchronizer parameters.
	Parameters(at int64) topology.ProtocolParameters
}

// Config binds an engine to its participant and the synchronizer.
type Config struct {
	// Participant is this participant's member id.
	Participant    string
	SynchronizerID string
	// Packages are the vetted packages views are reinterpreted with.
	Packages *ledger.PackageSet
	// SigningKey signs the confirmation responses.
	SigningKey crypto.SigningPrivateKey
	// Decryption returns the encryption private key with a public fingerprint (current or
	// superseded, so that history decrypts).
	Decryption func(crypto.Fingerprint) (crypto.EncryptionPrivateKey, bool)
	// Topology answers hosting, mediator group, key and parameter questions.
	Topology Topology
}

// ErrInvalidConfig is what a ConfigError wraps.
var ErrInvalidConfig = errors.New("invalid engine config")

// ConfigError names the field of a Config that is missing or wrong.
type ConfigError struct{ Field, Reason string }

func (e *ConfigError) Error() string {
	return fmt.Sprintf("%v: %s: %s", ErrInvalidConfig, e.Field, e.Reason)
}

// Unwrap returns ErrInvalidConfig.
func (e *ConfigError) Unwrap() error { return ErrInvalidConfig }

// Validate returns a *ConfigError naming the first missing field.
func (c Config) Validate() error {
	switch {
	case c.Participant == "":
		return &ConfigError{"Participant", "empty"}
	case c.Packages == nil:
		return &ConfigError{"Packages", "nil"}
	case len(c.SigningKey.Key) == 0:
		return &ConfigError{"SigningKey", "not set"}
	case c.Decryption == nil:
		return &ConfigError{"Decryption", "nil"}
	case c.Topology == nil:
		return &ConfigError{"Topology", "nil"}
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
	MessageID     string
	RequestID     int64 // sequencing time of the request answered
	RootHash      protocol.Hash
	MediatorGroup uint32 // the request's mediator group: the response is sealed to it
	Signed        []byte // protocol.SignResponse
	// To, when set, makes this a message the node sends in the clear to that member only
	// (an ACS commitment): Signed is then the envelope's content.
	To string `json:",omitempty"`
}

// Update is a committed transaction as this participant sees it.
type Update struct {
	Offset    int64
	RequestID int64
	RootHash  protocol.Hash
	Created   []*ledger.Contract // sorted by id
	Archived  []ledger.ContractID
	// Seeds are the creating seeds of Created, by id (each contract's authenticity proof:
	// ledger.EncodeCreatedEventBlob); a request restored from a checkpoint written before
	// seeds were kept has none.
	Seeds map[ledger.ContractID]ledger.Seed
}

// Completion is the outcome of a confirmation request this participant took part in.
type Completion struct {
	RequestID int64
	Committed bool
	// TimedOut: no verdict of the request's mediator group by the request's deadline
	// (on sequencer time); the request was discarded.
	TimedOut bool
	Offset   int64 // of the update, when committed
	Reason   string
	// Command is set for a request this participant submitted with a command id.
	Command *Command
}

// Command identifies a command submitted with a command id: the Ledger API user, the
// command id and the actAs parties.
type Command struct {
	UserID    string
	CommandID string
	ActAs     ledger.PartySet
}

// Ignored is a message the engine did not act on, with a stable reason code (one of the
// Ignored* constants) and a readable detail: a node logs it and counts it by reason.
type Ignored struct {
	At        int64 // timestamp of the event that carried it
	RequestID int64 // the request it claims to be about, 0 when unknown
	Sender    string
	Reason    string
	Detail    string
}

// Ready is what the engine decided since the last call of Ready.
type Ready struct {
	Sends       []Send
	Updates     []Update
	Completions []Completion
	Ignored     []Ignored
	// PendingAdded and PendingRemoved are the requests that started (or changed: a
	// request with a new mediator vote is added again) or stopped awaiting a verdict,
	// for a store that keeps the checkpoint incrementally; a store applies the additions
	// before the removals.
	PendingAdded   []PendingRequest
	PendingRemoved []int64
	// RootsAdded are the root hashes of the requests handled at this event: a request
	// with a root hash seen before is a replay and is rejected.
	RootsAdded []SeenRoot
}

// SeenRoot is the root hash of a confirmation request this participant handled.
type SeenRoot struct {
	RootHash  protocol.Hash
	RequestID int64
}

// Engine is the participant core. It is not safe for concurrent use.
type Engine struct {
	cfg     Config
	acs     ledger.ContractMap
	locks   map[ledger.ContractID]int64
	pending map[int64]*request
	// roots are the root hashes of every request handled, with the request's id.
	roots map[protocol.Hash]int64
	// next is the earliest deadline of a pending request (0 when unknown: recompute).
	next   int64
	offset int64
	ready  Ready
}

// New returns an engine over the given active contracts (copied).
func New(cfg Config, acs ledger.ContractMap) (*Engine, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	e := &Engine{cfg: cfg, acs: ledger.ContractMap{}, locks: map[ledger.ContractID]int64{}, pending: map[int64]*request{}, roots: map[protocol.Hash]int64{}}
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
	// groups are the mediator groups the root hash messages are addressed to (beside
	// this participant), as the sequencer routed them.
	groups []uint32
	views  []openedView
	// unopened are the views addressed to this participant that it cannot open, with
	// why (invalid_encryption).
	unopened []string
	results  [][]byte
}

type openedView struct {
	opened     *protocol.Opened
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
// configuration (never the topology, which the node updates while it opens ahead), so a
// node may open the next events concurrently, ahead of StepOpened (which must see the
// events in stream order).
func (e *Engine) Open(ev *seqpb.SequencedEvent) Opened {
	if ev.GetKind() != seqpb.EventKind_EVENT_KIND_DELIVER {
		return Opened{}
	}
	return Opened{in: e.sort(ev)}
}

// StepOpened processes the next event of the stream, opened by Open. Every event first
// moves sequencer time: pending requests whose deadline is before its timestamp time
// out.
func (e *Engine) StepOpened(ev *seqpb.SequencedEvent, o Opened) error {
	e.timeOut(ev.TimestampMicros)
	if ev.GetKind() != seqpb.EventKind_EVENT_KIND_DELIVER {
		return nil
	}
	in := o.in
	for _, r := range in.results {
		e.handleResult(ev, r)
	}
	if len(in.rootHashes) == 1 && (len(in.views) > 0 || len(in.unopened) > 0) {
		return e.handleRequest(ev, in)
	}
	return nil
}

// sort classifies the envelopes of a delivery; anything undecodable is not for the
// engine (and other members get the same bytes, so ignoring it is deterministic), except
// a view addressed to this participant that does not open: that is the submitter's
// fault, and the participant rejects the request for it.
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
			in.groups = append(in.groups, mediatorGroupOf(env))
		case msg.GetEncrypted() != nil:
			kind := msg.GetEncrypted().Kind
			op, err := protocol.OpenPayload(env.Content, e.cfg.Participant, e.cfg.Decryption)
			switch {
			case err != nil && kind == protocolpb.EncryptedPayload_KIND_VIEW && names(env, e.cfg.Participant):
				in.unopened = append(in.unopened, err.Error())
			case err != nil:
			case op.Kind == protocolpb.EncryptedPayload_KIND_VIEW:
				in.views = append(in.views, openedView{opened: op, plaintext: op.Plaintext, recipients: protocol.MemberRecipients(env)})
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
					v := protocol.Validator{Packages: e.cfg.Packages}
					ov.pure = v.PureChecks(ov.checked)
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

// mediatorGroupOf returns the mediator group an envelope is addressed to, or noGroup.
func mediatorGroupOf(env *seqpb.Envelope) uint32 {
	for _, r := range env.Recipients {
		if r.Group == seqpb.GroupKind_GROUP_KIND_MEDIATOR_GROUP {
			return r.GroupIndex
		}
	}
	return noGroup
}

// noGroup marks a root hash message addressed to no mediator group: no mediator sees
// the request, so there is nothing to confirm.
const noGroup = ^uint32(0)

func toHash(b []byte) (protocol.Hash, error) {
	var h protocol.Hash
	if len(b) != len(h) {
		return h, fmt.Errorf("hash of %d bytes", len(b))
	}
	copy(h[:], b)
	return h, nil
}
