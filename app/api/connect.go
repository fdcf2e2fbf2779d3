package api

import (
	"context"
	"slices"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "github.com/cometsync/cometsync/proto/sequencerpb"
	"github.com/cometsync/cometsync/seqapi"
)

// connectService implements SequencerConnectService; it needs no token.
type connectService struct{ s *Server }

// Handshake accepts a client that speaks seqapi.ProtocolVersion.
func (c connectService) Handshake(_ context.Context, req *pb.HandshakeRequest) (*pb.HandshakeResponse, error) {
	if !slices.Contains(req.ClientProtocolVersions, seqapi.ProtocolVersion) {
		return nil, status.Errorf(codes.FailedPrecondition,
			"protocol version mismatch: server speaks %q, client offers %q", seqapi.ProtocolVersion, req.ClientProtocolVersions)
	}
	return &pb.HandshakeResponse{ServerProtocolVersion: seqapi.ProtocolVersion}, nil
}

// GetSynchronizerId returns the synchronizer and this node's sequencer id.
func (c connectService) GetSynchronizerId(context.Context, *pb.GetSynchronizerIdRequest) (*pb.GetSynchronizerIdResponse, error) {
	return &pb.GetSynchronizerIdResponse{
		SynchronizerId: c.s.backend.SynchronizerID(),
		SequencerId:    c.s.backend.SequencerID(),
	}, nil
}

// GetSynchronizerParameters returns the parameters of the sequencer machine.
func (c connectService) GetSynchronizerParameters(context.Context, *pb.GetSynchronizerParametersRequest) (*pb.GetSynchronizerParametersResponse, error) {
	m := c.s.backend.Machine()
	if m == nil {
		return nil, status.Error(codes.Unavailable, "sequencer is not initialized")
	}
	p := m.Parameters()
	return &pb.GetSynchronizerParametersResponse{Parameters: &pb.SynchronizerParameters{
		MaxRequestSize:                 p.MaxRequestSize,
		MaxEnvelopes:                   p.MaxEnvelopes,
		MaxRecipients:                  p.MaxRecipients,
		MaxSequencingTimeHorizonMicros: p.MaxSequencingHorizonMicros,
		ProtocolVersion:                seqapi.ProtocolVersion,
	}}, nil
}
