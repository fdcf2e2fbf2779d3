package participant

import (
	"context"
	"fmt"
	"time"

	"github.com/cometsync/cometsync/crypto"
	"github.com/cometsync/cometsync/driver"
	"github.com/cometsync/cometsync/ledger"
	"github.com/cometsync/cometsync/participant/engine"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
	topopb "github.com/cometsync/cometsync/proto/topologypb"
	"github.com/cometsync/cometsync/protocol"
	"github.com/cometsync/cometsync/topology"
)

// Register puts the node's namespace root certificate and its keys on-chain (if they
// are not there yet) and waits until its own stream shows them in force.
func (n *Node) Register(ctx context.Context) error {
	me, err := crypto.ParseMember(n.cfg.Driver.Member)
	if err != nil {
		return err
	}
	enc := n.cfg.EncryptionKey.Public()
	n.mu.Lock()
	b, err := topology.KeyRegistration(n.topo, me, n.cfg.Driver.SigningKey, enc)
	n.mu.Unlock()
	if err != nil || len(b.Envelopes) == 0 {
		return err
	}
	if _, err := n.client.SendAndWait(ctx, b, driver.SendOptions{}); err != nil {
		return fmt.Errorf("register keys: %w", err)
	}
	return n.await(ctx, func() bool {
		_, ok := (topology.EncryptionKeysOf{Snapshot: n.topo.Head()}).EncryptionKey(me.String())
		return ok
	})
}

// AllocateParty hosts a new party name::<this participant's namespace> here, with
// submission permission, and waits until it is on-chain.
func (n *Node) AllocateParty(ctx context.Context, name string) (ledger.Party, error) {
	me, err := crypto.ParseMember(n.cfg.Driver.Member)
	if err != nil {
		return "", err
	}
	uid, err := crypto.NewUID(name, me.UID.Namespace)
	if err != nil {
		return "", err
	}
	tx, err := topology.NewTransaction(topopb.Operation_OPERATION_REPLACE, 1,
		topology.NewPartyToParticipant(uid, 1, topology.Host(me, topopb.ParticipantPermission_PARTICIPANT_PERMISSION_SUBMISSION)))
	if err != nil {
		return "", err
	}
	b := &pb.Batch{Envelopes: []*pb.Envelope{{
		Recipients: []*pb.Recipient{{Group: pb.GroupKind_GROUP_KIND_TOPOLOGY_MANAGER}},
		Content:    topology.Sign(tx, false, n.cfg.Driver.SigningKey).Marshal(),
	}}}
	if _, err := n.client.SendAndWait(ctx, b, driver.SendOptions{}); err != nil {
		return "", fmt.Errorf("allocate party %s: %w", uid, err)
	}
	err = n.await(ctx, func() bool { _, ok := n.topo.Head().PartyToParticipant(uid.String()); return ok })
	return ledger.Party(uid.String()), err
}

// SubmitOption adjusts one submission (Submit, SubmitCommand, SubmitCommandAsync).
type SubmitOption func(*submitOptions)

type submitOptions struct {
	disclosed []ledger.DisclosedContract
}

func collect(opts []SubmitOption) submitOptions {
	var o submitOptions
	for _, f := range opts {
		f(&o)
	}
	return o
}

// WithDisclosedContracts attaches contracts the command may use although no actAs party
// is a stakeholder (explicit disclosure): each one a stakeholder's participant handed
// out, as ledger.DecodeCreatedEventBlob decodes it. Interpretation looks a contract up in
// this participant's active contracts first, then in these; the views carry a disclosed
// input with its creating seed, and every confirming participant checks its id against
// its content. A disclosed contract whose id does not derive from its seed and content
// fails the submission before anything is sent, with an error wrapping
// ledger.ErrInvalidCommand and ledger.ErrContractIDMismatch that names the contract.
func WithDisclosedContracts(ds ...ledger.DisclosedContract) SubmitOption {
	return func(o *submitOptions) { o.disclosed = append(o.disclosed, ds...) }
}

// Submit runs cmd through the transaction protocol and waits for its verdict (without
// deduplication: see SubmitCommand).
func (n *Node) Submit(ctx context.Context, cmd ledger.Command, opts ...SubmitOption) (engine.Completion, error) {
	return n.submit(ctx, cmd, fmt.Sprintf("tx-%x", randomSeed()), "", "", collect(opts), nil)
}

// submit runs cmd under message id msgID, with the user and command id (if any) in its
// submitter metadata. sent, when set, is called once: with nil when the sequencer took
// the submission, or with the error that ended the attempt before that.
// Its duration and outcome go to submission_duration_seconds.
func (n *Node) submit(ctx context.Context, cmd ledger.Command, msgID, user, commandID string, o submitOptions, sent func(error)) (c engine.Completion, err error) {
	start := time.Now()
	defer func() { n.metrics.submission(start, c, err) }()
	if sent == nil {
		sent = func(error) {}
	}
	b, err := n.prepare(cmd, user, commandID, o)
	if err != nil {
		sent(err)
		return engine.Completion{}, err
	}
	verdict := make(chan engine.Completion, 1)
	n.mu.Lock()
	n.submissions[msgID] = verdict
	n.mu.Unlock()
	var receipt *pb.SequencedEvent
	h, err := n.client.Send(ctx, b, driver.SendOptions{MessageID: msgID})
	sent(err)
	if err == nil {
		receipt, err = h.Wait(ctx)
	}
	defer func() {
		n.mu.Lock()
		delete(n.submissions, msgID)
		if receipt != nil {
			delete(n.waiters, receipt.TimestampMicros)
		}
		n.mu.Unlock()
	}()
	if err != nil {
		return engine.Completion{}, fmt.Errorf("submit: %w", err)
	}
	select {
	case c = <-verdict:
	case <-ctx.Done():
		return engine.Completion{}, ctx.Err()
	}
	switch {
	case c.TimedOut:
		err = fmt.Errorf("%w: %s", ErrTimedOut, c.Reason)
	case !c.Committed:
		err = fmt.Errorf("%w: %s", ErrRejected, c.Reason)
	}
	return c, err
}

// prepare interprets cmd against the active contracts (and the disclosed contracts of
// o) and builds the encrypted batch.
func (n *Node) prepare(cmd ledger.Command, user, commandID string, o submitOptions) (*pb.Batch, error) {
	disclosed, err := ledger.NewDisclosures(o.disclosed...)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ledger.ErrInvalidCommand, err)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	head := n.topo.Head()
	submitters := ledger.NewPartySet(cmd.ActAs...)
	// The confirming participants and the mediator check the same on the chain; a request
	// that fails it would only be rejected there.
	if err := engine.SubmissionAllowed(onChain{n.topo}, topology.Forever, n.cfg.Driver.Member, submitters); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSubmitterNotAuthorized, err)
	}
	var acs ledger.ContractLookup = n.eng.ACS()
	if len(disclosed) > 0 {
		acs = ledger.WithDisclosures(acs, disclosed)
	}
	now := time.Now().UTC().Truncate(time.Microsecond) // ledger time: checked against the sequencing time within the tolerance
	tx, err := ledger.Interpret(n.cfg.Packages, cmd, acs, now, ledger.Seed(randomSeed()))
	if err != nil {
		return nil, err
	}
	meta := protocol.Metadata{
		SubmittingParticipant: n.cfg.Driver.Member, Submitters: submitters, UserID: user, CommandID: commandID,
		SynchronizerID: n.client.SynchronizerID(), MediatorGroup: n.cfg.MediatorGroup, LedgerTime: now,
	}
	p, err := protocol.Prepare(tx, acs, meta, protocol.Seed(randomSeed()))
	if err != nil {
		return nil, err
	}
	plan, err := protocol.Recipients(p, hosting{head})
	if err != nil {
		return nil, err
	}
	return plan.Batch(topology.EncryptionKeysOf{Snapshot: head}, n.mediators(head))
}
