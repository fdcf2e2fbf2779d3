package participant

import (
	"context"
	"encoding/hex"
	"fmt"

	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cometsync/cometsync/crypto"
	"github.com/cometsync/cometsync/ledger"
	"github.com/cometsync/cometsync/participant/engine"
	"github.com/cometsync/cometsync/participant/ledgerapi"
	"github.com/cometsync/cometsync/participant/store"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
)

// Commands with a command id are deduplicated by their change id: the user, the actAs
// parties and the command id. An attempt is submitted under the message id
// cmd-<change id>-<attempt>, so the participant's own stream (its receipts and the
// verdicts) says which attempts were sequenced and how they ended: the node keeps that
// record (in its store, and rebuilt the same by a replay from the chain) and answers a
// command whose change id committed within the deduplication period with the original
// outcome. A retry while an attempt is in flight waits for it; after a rejection or a
// timeout the next attempt is a new message id. The sequencer's own dedupe of message
// ids covers an attempt that was sent but whose receipt no node has seen yet (for
// example the participant stopped right after sending): resent with the same id, it is
// sequenced once.

// PurposeChangeID is the hash purpose of a command's change id.
const PurposeChangeID crypto.Purpose = 171

// DefaultDeduplicationPeriod is how long (on sequencer time) a committed command's change
// id is remembered.
const DefaultDeduplicationPeriod = 24 * time.Hour

// ChangeID identifies a command for deduplication.
func ChangeID(user string, actAs []ledger.Party, commandID string) string {
	parties := slices.Clone(actAs)
	slices.Sort(parties)
	parties = slices.Compact(parties)
	h := crypto.NewHasher(PurposeChangeID).AddString(user).AddUint32(uint32(len(parties)))
	for _, p := range parties {
		h.AddString(string(p))
	}
	return hex.EncodeToString(h.AddString(commandID).Sum()[:16])
}

const commandPrefix = "cmd-"

func commandMessageID(change string, attempt int) string {
	return commandPrefix + change + "-" + strconv.Itoa(attempt)
}

// parseCommandMessageID returns the change id and attempt of a command's message id.
func parseCommandMessageID(id string) (string, int, bool) {
	rest, ok := strings.CutPrefix(id, commandPrefix)
	if !ok {
		return "", 0, false
	}
	change, n, ok := strings.Cut(rest, "-")
	attempt, err := strconv.Atoi(n)
	if !ok || err != nil || attempt < 0 || len(change) != 32 {
		return "", 0, false
	}
	return change, attempt, true
}

// trackCommand updates the command records for event ev of this participant's own
// stream and the completions the engine decided at it (called under n.mu); it returns
// the records it changed, for the store.
func (n *Node) trackCommand(ev *pb.SequencedEvent, completions []engine.Completion) []store.Change {
	var changed []store.Change
	if change, attempt, ok := parseCommandMessageID(ev.MessageId); ok {
		c := n.changes[change]
		c.ID = change
		if attempt+1 > c.Attempts {
			c.Attempts = attempt + 1
		}
		if ev.Kind == pb.EventKind_EVENT_KIND_DELIVER {
			c.RequestID, c.Done, c.Committed, c.Offset, c.Reason = ev.TimestampMicros, false, false, 0, ""
			n.changeOf[ev.TimestampMicros] = change
		} else { // refused by the sequencer: never sequenced
			c.Done, c.Committed, c.Reason = true, false, ev.ErrorReason
		}
		n.changes[change] = c
		changed = append(changed, c)
	}
	for _, comp := range completions {
		change, ok := n.changeOf[comp.RequestID]
		if !ok {
			continue
		}
		delete(n.changeOf, comp.RequestID)
		c := n.changes[change]
		if c.RequestID != comp.RequestID {
			continue
		}
		c.Done, c.Committed, c.Offset, c.Reason = true, comp.Committed, comp.Offset, comp.Reason
		n.changes[change] = c
		changed = append(changed, c)
	}
	return changed
}

// changeState returns what the node knows of change (called under n.mu): its record,
// whether an attempt is in flight (being sent here, or sequenced without an outcome
// yet), and whether it committed within the deduplication period (on sequencer time).
func (n *Node) changeState(change string) (c store.Change, inFlight, committed bool) {
	c, known := n.changes[change]
	_, sending := n.sending[change]
	period := n.cfg.DeduplicationPeriod
	if period <= 0 {
		period = DefaultDeduplicationPeriod
	}
	return c, sending || (known && !c.Done), known && c.Committed && c.RequestID >= n.rt.ProgressLocked().Timestamp-period.Microseconds()
}

// SubmitCommand is Submit with deduplication by the change id of (user, cmd.ActAs,
// commandID): a command that committed within the deduplication period is answered with
// a *ledgerapi.DuplicateCommandError naming the original offset and request id; while an
// attempt is in flight, a retry waits for its outcome first. An empty commandID is Submit.
func (n *Node) SubmitCommand(ctx context.Context, cmd ledger.Command, user, commandID string, opts ...SubmitOption) (engine.Completion, error) {
	if commandID == "" {
		return n.Submit(ctx, cmd, opts...)
	}
	change := ChangeID(user, cmd.ActAs, commandID)
	for {
		n.mu.Lock()
		c, inFlight, committed := n.changeState(change)
		switch {
		case inFlight:
			// An attempt is on its way (sent here, or sequenced without a verdict yet):
			// wait until it ends, then decide.
			n.mu.Unlock()
			if err := n.await(ctx, func() bool {
				c := n.changes[change]
				_, sending := n.sending[change]
				return !sending && (c.ID == "" || c.Done)
			}); err != nil {
				return engine.Completion{}, err
			}
			continue
		case committed:
			n.mu.Unlock()
			return engine.Completion{RequestID: c.RequestID, Committed: true, Offset: c.Offset},
				&ledgerapi.DuplicateCommandError{CommandID: commandID, Offset: c.Offset, RequestID: c.RequestID}
		}
		n.sending[change] = struct{}{}
		attempt := c.Attempts
		n.mu.Unlock()
		comp, err := n.submit(ctx, cmd, commandMessageID(change, attempt), user, commandID, collect(opts), nil)
		n.doneSending(change)
		return comp, err
	}
}

// doneSending records that this process no longer sends an attempt of change and wakes
// the submissions waiting for it.
func (n *Node) doneSending(change string) {
	n.mu.Lock()
	delete(n.sending, change)
	n.notifyLocked()
	n.mu.Unlock()
}

// completionsOf turns the engine's completions of commands submitted here with a command
// id into command completions with the next offsets (called under n.mu).
func (n *Node) completionsOf(cs []engine.Completion) []store.CommandCompletion {
	var out []store.CommandCompletion
	for _, c := range cs {
		if c.Command == nil {
			continue
		}
		n.completionEnd++
		cc := store.CommandCompletion{Offset: n.completionEnd, UserID: c.Command.UserID, CommandID: c.Command.CommandID,
			RequestID: c.RequestID, Committed: c.Committed, TimedOut: c.TimedOut, Reason: c.Reason, UpdateOffset: c.Offset}
		for _, p := range c.Command.ActAs {
			cc.ActAs = append(cc.ActAs, string(p))
		}
		out = append(out, cc)
	}
	return out
}

// completionsPage bounds what one CompletionsFrom call returns.
const completionsPage = 1000

// CompletionsFrom returns the command completions with offsets >= from (commands
// submitted here with a command id: committed, rejected with the reason, or timed out),
// waiting until there is at least one or ctx ends. Completion offsets number the
// outcomes in the order they were decided, the same after a rebuild from the chain.
func (n *Node) CompletionsFrom(ctx context.Context, from int64) ([]store.CommandCompletion, error) {
	from = max(from, 1)
	if err := n.await(ctx, func() bool { return n.completionEnd >= from }); err != nil {
		return nil, err
	}
	return n.store.Completions(from, completionsPage)
}

// ErrCommandInFlight is returned by SubmitCommandAsync for a command id whose previous
// attempt has no outcome yet.
var ErrCommandInFlight = ledgerapi.ErrCommandInFlight

// SubmitCommandAsync submits cmd under its change id and returns once the sequencer took
// it (or with why not): its outcome comes as a command completion (CompletionsFrom). A
// command id that committed within the deduplication period is a
// *ledgerapi.DuplicateCommandError; one with an attempt in flight is ErrCommandInFlight.
func (n *Node) SubmitCommandAsync(ctx context.Context, cmd ledger.Command, user, commandID string, opts ...SubmitOption) error {
	if commandID == "" {
		return fmt.Errorf("%w: an asynchronous submission needs a command id", ledger.ErrInvalidCommand)
	}
	change := ChangeID(user, cmd.ActAs, commandID)
	n.mu.Lock()
	c, inFlight, committed := n.changeState(change)
	switch {
	case inFlight:
		n.mu.Unlock()
		return fmt.Errorf("%w: command %q", ErrCommandInFlight, commandID)
	case committed:
		n.mu.Unlock()
		return &ledgerapi.DuplicateCommandError{CommandID: commandID, Offset: c.Offset, RequestID: c.RequestID}
	}
	n.sending[change] = struct{}{}
	attempt := c.Attempts
	bg := n.lifetime
	n.mu.Unlock()
	result := make(chan error, 1)
	go func() {
		_, _ = n.submit(bg, cmd, commandMessageID(change, attempt), user, commandID, collect(opts), func(err error) { result <- err })
		n.doneSending(change)
	}()
	select {
	case err := <-result:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}
