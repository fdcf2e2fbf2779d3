package driver

import (
	"context"
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

// DownloadTopologyState fetches the committed topology state from a sequencer node, as a
// new member does before following its stream.
func (c *Client) DownloadTopologyState(ctx context.Context) (*TopologyState, error) {
	var res *pb.DownloadTopologyStateForInitResponse
	err := c.call(ctx, func(ctx context.Context, e *endpoint) error {
		var err error
		res, err = e.seq.DownloadTopologyStateForInit(ctx, &pb.DownloadTopologyStateForInitRequest{Member: c.cfg.Member})
		return err
	})
	if err != nil {
		return nil, err
	}
	st, err := topology.Unmarshal(res.State)
	if err != nil {
		return nil, fmt.Errorf("topology state from the sequencer: %w", err)
	}
	return &TopologyState{State: st, Height: res.Height, AppHash: res.AppHash}, nil
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
