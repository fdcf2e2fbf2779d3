package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/cometsync/cometsync/crypto"
	"github.com/cometsync/cometsync/driver"
	seqpb "github.com/cometsync/cometsync/proto/sequencerpb"
	"github.com/cometsync/cometsync/topology"
)

// pollInterval is how often submit re-reads the topology state while waiting for its
// transactions to show up.
const pollInterval = 200 * time.Millisecond

// submitResult is what happened to each submitted transaction, read back from the
// downloaded topology state.
type submitResult struct {
	statuses []topology.TxStatus
}

// submit sends stxs to the topology manager in one batch and waits until every one of
// them is visible in the downloaded state (applied, or stored as a proposal with our
// signatures). It sends authenticated when the member can log in, else as an onboarding
// request (the batch must introduce the member's key).
func (s *session) submit(ctx context.Context, out io.Writer, stxs []*topology.SignedTransaction) (submitResult, error) {
	for _, x := range stxs {
		if len(x.Signatures) == 0 {
			return submitResult{}, fmt.Errorf("%s has no signatures: sign it first (topology sign)", describe(x.Tx))
		}
	}
	ctx, cancel := context.WithTimeout(ctx, s.conn.timeout)
	defer cancel()
	batch := &seqpb.Batch{}
	for _, x := range stxs {
		batch.Envelopes = append(batch.Envelopes, &seqpb.Envelope{
			Recipients: []*seqpb.Recipient{{Group: seqpb.GroupKind_GROUP_KIND_TOPOLOGY_MANAGER}},
			Content:    x.Marshal(),
		})
	}
	if err := s.client.Connect(ctx); err == nil {
		if err := s.sendAuthenticated(ctx, out, batch); err != nil {
			s.explain(ctx, out, stxs)
			return submitResult{}, err
		}
	} else if onboarding(stxs, s.member, s.key.Fingerprint()) {
		if err := s.client.SendOnboarding(ctx, batch, driver.SendOptions{}); err != nil {
			return submitResult{}, fmt.Errorf("onboarding send as %s: %w", s.member, err)
		}
		fmt.Fprintf(out, "sent without authentication as %s (onboarding); waiting for the topology state to show it\n", s.member)
	} else {
		return submitResult{}, fmt.Errorf("connect as %s: %w", s.member, err)
	}
	return s.await(ctx, stxs)
}

func (s *session) sendAuthenticated(ctx context.Context, out io.Writer, batch *seqpb.Batch) error {
	sctx, stop := context.WithCancel(ctx)
	defer stop()
	go func() {
		_ = s.client.Subscribe(sctx, 0, func(context.Context, *seqpb.SequencedEvent) error { return nil })
	}()
	receipt, err := s.client.SendAndWait(ctx, batch, driver.SendOptions{})
	var de *driver.DeliverError
	if errors.As(err, &de) {
		return fmt.Errorf("rejected by the topology manager: %s", de.Event.ErrorReason)
	}
	if err != nil {
		return fmt.Errorf("send as %s: %w", s.member, err)
	}
	fmt.Fprintf(out, "sequenced at height %d, time %s (message %s)\n", receipt.Height, time.UnixMicro(receipt.TimestampMicros).UTC().Format(time.RFC3339Nano), receipt.MessageId)
	return nil
}

// explain prints, after a rejection, what each transaction lacks at the current state.
func (s *session) explain(ctx context.Context, out io.Writer, stxs []*topology.SignedTransaction) {
	st, err := s.download(ctx)
	if err != nil {
		return
	}
	for _, x := range stxs {
		fmt.Fprintf(out, "rejected: %s\n", describe(x.Tx))
		printPreview(out, st, x)
	}
}

// onboarding reports whether the batch may go without a token: it carries an
// OwnerToKeyMapping of member that lists key (what the sequencer checks).
func onboarding(stxs []*topology.SignedTransaction, member string, key crypto.Fingerprint) bool {
	for _, x := range stxs {
		otk := x.Tx.Mapping().GetOwnerToKeyMapping()
		if otk.GetMember() != member || x.Tx.IsRemove() {
			continue
		}
		for _, k := range otk.SigningKeys {
			if crypto.FingerprintOf(k) == key {
				return true
			}
		}
	}
	return false
}

// await polls the topology state until every transaction is visible or ctx ends.
func (s *session) await(ctx context.Context, stxs []*topology.SignedTransaction) (submitResult, error) {
	var last error
	for {
		st, err := s.download(ctx)
		if err == nil {
			r := submitResult{}
			for _, x := range stxs {
				r.statuses = append(r.statuses, st.Status(x))
			}
			i := slices.IndexFunc(r.statuses, func(s topology.TxStatus) bool { return !s.Visible() })
			if i < 0 {
				return r, nil
			}
			last = fmt.Errorf("not visible in the topology state yet: %s", describe(r.statuses[i].Transaction.Tx))
		} else {
			last = err
		}
		select {
		case <-ctx.Done():
			return submitResult{}, fmt.Errorf("waiting for the topology state: %w (%v)", ctx.Err(), last)
		case <-time.After(pollInterval):
		}
	}
}

// printTxStatus reports a status: applied, or pending with the signatures still missing.
func printTxStatus(w io.Writer, t topology.TxStatus) {
	tx := t.Transaction.Tx
	switch {
	case t.Applied:
		fmt.Fprintf(w, "applied: %s\n  hash %s, effective from %s\n", describe(tx), tx.HashHex(), time.UnixMicro(t.ValidFrom).UTC().Format(time.RFC3339Nano))
	case t.Proposal != nil:
		fmt.Fprintf(w, "pending proposal: %s\n  hash %s\n  signed by %v\n", describe(tx), tx.HashHex(), fingerprintStrings(t.Proposal.SignedBy()))
		printMissing(w, t.Missing, t.Ready)
	default:
		fmt.Fprintf(w, "not in the topology state: %s\n", describe(tx))
	}
}

func printMissing(w io.Writer, m *topology.UnauthorizedError, ready bool) {
	if ready {
		fmt.Fprintln(w, "  the collected signatures now suffice: submit it again to apply it")
		return
	}
	if m == nil {
		return
	}
	if len(m.Namespaces) > 0 {
		fmt.Fprintf(w, "  missing signatures of namespaces: %v\n", fingerprintStrings(m.Namespaces))
	}
	if len(m.Keys) > 0 {
		fmt.Fprintf(w, "  missing signatures of keys (proof of possession): %v\n", fingerprintStrings(m.Keys))
	}
	for _, t := range m.Thresholds {
		fmt.Fprintf(w, "  decentralized namespace %s has %d of %d owner signatures\n", t.Namespace, t.Authorized, t.Threshold)
	}
}
