package mediator

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/cometsync/cometsync/crypto"
	pb "github.com/cometsync/cometsync/proto/mediatorpb"
	"github.com/cometsync/cometsync/protocol"
)

// Sender is the loop's way out to the sequencer. Implementations wrap the driver.
type Sender interface {
	// SendResult submits a signed result to recipients under messageID.
	SendResult(ctx context.Context, messageID string, recipients []string, r *pb.SignedTransactionResult) error
	// RequestTimeProof submits an empty batch addressed to the mediator itself, so that a
	// later timestamp reaches the core.
	RequestTimeProof(ctx context.Context) error
}

// RecordStore persists the core's audit records (for instance in badger).
type RecordStore interface {
	SaveRecords(ctx context.Context, recs []*pb.Record) error
}

// Loop is the thin shell around a Core: it persists records, keeps the outbox of results
// without a receipt, signs and sends them once it has caught up with the stream, and asks
// for time proofs. It is not safe for concurrent use; one goroutine reads the mediator's
// stream and calls Handle, then Flush when it reaches the head.
type Loop struct {
	core   *Core
	key    crypto.SigningPrivateKey
	sender Sender
	store  RecordStore
	outbox map[string]Result
	proofs []TimeProof // sorted by After
}

// NewLoop wraps core. key signs the results.
func NewLoop(core *Core, key crypto.SigningPrivateKey, sender Sender, store RecordStore) *Loop {
	return &Loop{core: core, key: key, sender: sender, store: store, outbox: map[string]Result{}}
}

// Handle processes one delivered event: receipts lists the message ids of the mediator's
// own submissions that the event acknowledges (its receipts carry them), ev is what the
// event holds for the core (a TimeEvent when nothing).
func (l *Loop) Handle(ctx context.Context, ev Event, receipts ...string) error {
	for _, id := range receipts {
		delete(l.outbox, id)
	}
	if err := l.core.Step(ev); err != nil {
		return err
	}
	rd := l.core.Ready()
	if len(rd.Records) > 0 {
		if err := l.store.SaveRecords(ctx, rd.Records); err != nil {
			return fmt.Errorf("save records: %w", err)
		}
	}
	for _, r := range rd.Results {
		l.outbox[r.MessageID()] = r
	}
	l.proofs = append(l.proofs, rd.TimeProofs...)
	slices.SortFunc(l.proofs, func(a, b TimeProof) int { return cmp.Compare(a.After, b.After) })
	l.core.Advance()
	return nil
}

// Outbox returns the results that have no receipt yet, in production order.
func (l *Loop) Outbox() []Result {
	out := make([]Result, 0, len(l.outbox))
	for _, r := range l.outbox {
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b Result) int { return cmp.Compare(a.Seq, b.Seq) })
	return out
}

// Flush signs and sends the outbox. Call it only when caught up with the stream, so that
// a replay does not resend results whose receipts are still ahead. Sent results stay in
// the outbox until their receipt arrives; flushing again resends them.
func (l *Loop) Flush(ctx context.Context) error {
	for _, r := range l.Outbox() {
		signed, err := protocol.SignResult(l.key, r.Result)
		if err != nil {
			return err
		}
		if err := l.sender.SendResult(ctx, r.MessageID(), r.Recipients, signed); err != nil {
			return fmt.Errorf("send %s: %w", r.MessageID(), err)
		}
	}
	return nil
}

// MaybeRequestTimeProof asks for a time proof when the wall clock now (microseconds) has
// passed the decision time of a request that no event has timed out yet.
func (l *Loop) MaybeRequestTimeProof(ctx context.Context, now int64) error {
	last, _ := l.core.LastTimestamp()
	l.proofs = slices.DeleteFunc(l.proofs, func(p TimeProof) bool { return p.After < last })
	if len(l.proofs) == 0 || now <= l.proofs[0].After {
		return nil
	}
	return l.sender.RequestTimeProof(ctx)
}
