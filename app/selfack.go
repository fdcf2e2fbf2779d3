package app

import (
	"context"
	"errors"
	"path/filepath"
	"time"

	"github.com/cometsync/cometsync/abci/core"
	"github.com/cometsync/cometsync/crypto"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
	"github.com/cometsync/cometsync/seqapi"
)

// acknowledgeOwnStream acknowledges, every interval, the stream of the node's own
// sequencer member (SEQ::...): no client reads it, so without this its events (the
// all-members broadcasts) would hold every node's pruning back forever. It runs while
// the node runs and only when the node prunes on a schedule.
func (n *Node) acknowledgeOwnStream(interval time.Duration) {
	defer n.background.Done()
	_, key, err := crypto.ReadKeyFile(filepath.Join(n.home, "config", SequencerKeyFile))
	if err != nil || n.seqID == "" {
		return
	}
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	acked := int64(-1)
	for {
		select {
		case <-ticker.C:
		case <-n.stopped:
			return
		}
		c, ts, err := n.lastOwnEvent()
		if err != nil || c <= acked {
			continue
		}
		m := n.app.Machine()
		if m == nil {
			continue
		}
		sa, err := seqapi.SignAcknowledgement(key, &pb.Acknowledgement{Member: n.seqID, Counter: c, TimestampMicros: ts, SynchronizerId: m.Genesis().SynchronizerID})
		if err != nil {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), interval)
		err = n.Submit(ctx, core.EncodeAckTx(sa), nil)
		cancel()
		var rej *core.SubmissionError
		switch {
		case err == nil:
			acked = c
		case errors.As(err, &rej):
			n.logger.Debug("own stream acknowledgement refused", "counter", c, "reason", rej.Reason)
			acked = c
		default:
			n.logger.Debug("own stream acknowledgement not submitted", "counter", c, "err", err)
		}
	}
}

// lastOwnEvent returns the counter and timestamp of the last event of the node's
// sequencer member (counter -1: none).
func (n *Node) lastOwnEvent() (int64, int64, error) {
	r, release := n.app.Snapshot()
	defer release()
	next := int64(0)
	b, err := r.Get(core.KeyCounter(n.seqID))
	switch {
	case errors.Is(err, core.ErrNotFound):
		return -1, 0, nil
	case err != nil:
		return 0, 0, err
	}
	var mc pb.MemberCounter
	if err := mc.Unmarshal(b); err != nil {
		return 0, 0, err
	}
	next = mc.Next
	if next == 0 {
		return -1, 0, nil
	}
	evs, err := core.ReadEvents(r, n.seqID, next-1, 1)
	if err != nil || len(evs) == 0 {
		return -1, 0, err
	}
	return evs[0].Counter, evs[0].TimestampMicros, nil
}
