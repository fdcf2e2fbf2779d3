package driver

import (
	"context"
	"errors"
	"fmt"

	pb "github.com/cometsync/cometsync/proto/sequencerpb"
	"github.com/cometsync/cometsync/topology"
)

// TopologyState is the topology a new member starts from, with the chain position it
// was read at.
type TopologyState struct {
	State   *topology.State
	Height  int64
	AppHash []byte
}

// errNothingCommitted: the node's chain has no block yet (height 0), so its topology state
// cannot be proven; a verifying client waits for the first block.
var errNothingCommitted = errors.New("no block committed yet")

// DownloadTopologyState fetches the committed topology state from a sequencer node, as a
// new member does before following its stream. With verification on, the state is
// checked against the verified header after its block (a mismatch is a *VerifyError of
// ErrEventProof, and the next endpoint is asked, once per endpoint).
func (c *Client) DownloadTopologyState(ctx context.Context) (*TopologyState, error) {
	var err error
	backoff := c.cfg.ReconnectBackoff
	for tries := 0; tries < len(c.cfg.Endpoints); {
		var ts *TopologyState
		ts, err = c.downloadTopologyState(ctx)
		if errors.Is(err, errNothingCommitted) {
			// The chain has no block yet: nothing to prove the state against. Wait.
			if err := sleepCtx(ctx, backoff); err != nil {
				return nil, err
			}
			backoff = min(2*backoff, c.cfg.MaxReconnectBackoff)
			continue
		}
		if err == nil || !isVerifyError(err) {
			return ts, err
		}
		tries++
		c.logger.Error("topology download failed verification", "err", err)
		if f := c.cfg.Verify.OnFault; f != nil {
			f(err)
		}
	}
	return nil, err
}

func (c *Client) downloadTopologyState(ctx context.Context) (*TopologyState, error) {
	var res *pb.DownloadTopologyStateForInitResponse
	var from *endpoint
	err := c.call(ctx, func(ctx context.Context, e *endpoint) error {
		var err error
		res, err = e.seq.DownloadTopologyStateForInit(ctx, &pb.DownloadTopologyStateForInitRequest{Member: c.cfg.Member})
		from = e
		return err
	})
	if err != nil {
		return nil, err
	}
	st, err := topology.Unmarshal(res.State)
	if err != nil {
		return nil, fmt.Errorf("topology state from the sequencer: %w", err)
	}
	if c.verify != nil {
		if res.Height == 0 {
			return nil, errNothingCommitted
		}
		if err := c.checkTopology(ctx, from, res, st.Hash()); err != nil {
			return nil, err
		}
	}
	return &TopologyState{State: st, Height: res.Height, AppHash: res.AppHash}, nil
}

// checkTopology checks res, served by e, against the verified header after its block; on
// a mismatch e is quarantined and left.
func (c *Client) checkTopology(ctx context.Context, e *endpoint, res *pb.DownloadTopologyStateForInitResponse, stateHash []byte) error {
	hdr, err := c.verify.header(ctx, e, res.Height+1)
	if err == nil {
		if perr := checkTopology(res, stateHash, hdr.AppHash); perr != nil {
			err = &VerifyError{Kind: ErrEventProof, Endpoint: e.addr, Member: c.cfg.Member, Height: res.Height, Err: fmt.Errorf("topology state: %w", perr)}
		}
	}
	if isVerifyError(err) {
		c.quarantine(e)
		c.failover(e, err)
	}
	return err
}

// TrafficState returns the member's traffic account (traffic control) as the sequencer
// has it committed.
func (c *Client) TrafficState(ctx context.Context) (*pb.GetTrafficStateResponse, error) {
	var res *pb.GetTrafficStateResponse
	err := c.call(ctx, func(ctx context.Context, e *endpoint) error {
		var err error
		res, err = e.seq.GetTrafficState(ctx, &pb.GetTrafficStateRequest{Member: c.cfg.Member})
		return err
	})
	return res, err
}
