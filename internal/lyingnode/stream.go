package lyingnode

import (
	"context"
	"fmt"
	"io"

	pb "github.com/cometsync/cometsync/proto/sequencerpb"
	"github.com/cometsync/cometsync/proto/sequencersvc"
	"github.com/cometsync/cometsync/seqapi"
)

type seqSvc struct{ n *Node }

func (s *seqSvc) Send(ctx context.Context, r *pb.SendRequest) (*pb.SendResponse, error) {
	return s.n.up.seq.Send(forward(ctx), r)
}

func (s *seqSvc) SendBatch(ctx context.Context, r *pb.SendBatchRequest) (*pb.SendBatchResponse, error) {
	return s.n.up.seq.SendBatch(forward(ctx), r)
}

func (s *seqSvc) Acknowledge(ctx context.Context, r *pb.AcknowledgeRequest) (*pb.AcknowledgeResponse, error) {
	return s.n.up.seq.Acknowledge(forward(ctx), r)
}

func (s *seqSvc) DownloadTopologyStateForInit(ctx context.Context, r *pb.DownloadTopologyStateForInitRequest) (*pb.DownloadTopologyStateForInitResponse, error) {
	return s.n.up.seq.DownloadTopologyStateForInit(forward(ctx), r)
}

func (s *seqSvc) GetTrafficState(ctx context.Context, r *pb.GetTrafficStateRequest) (*pb.GetTrafficStateResponse, error) {
	return s.n.up.seq.GetTrafficState(forward(ctx), r)
}

// Subscribe forwards the caller's subscription (or, with OtherMember, the other
// member's) and rewrites the events as the lie says.
func (s *seqSvc) Subscribe(r *pb.SubscribeRequest, out sequencersvc.SequencerService_SubscribeServer) error {
	lie := s.n.currentLie()
	ctx, req := forward(out.Context()), r
	if lie.OtherMember != "" {
		var err error
		if ctx, err = s.n.authenticateAs(out.Context(), lie); err != nil {
			return err
		}
		req = &pb.SubscribeRequest{Member: lie.OtherMember, FromCounter: r.FromCounter, MaxEventsPerResponse: r.MaxEventsPerResponse, WithProofs: r.WithProofs}
	}
	up, err := s.n.up.seq.Subscribe(ctx, req)
	if err != nil {
		return err
	}
	rw := &rewriter{lie: lie}
	for {
		resp, err := up.Recv()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		for _, it := range split(resp) {
			for _, o := range rw.push(it) {
				if err := out.Send(o.response()); err != nil {
					return err
				}
			}
		}
	}
}

// authenticateAs returns a context with credentials of the lie's other member.
func (n *Node) authenticateAs(ctx context.Context, lie Lie) (context.Context, error) {
	id, err := n.up.connect.GetSynchronizerId(ctx, &pb.GetSynchronizerIdRequest{})
	if err != nil {
		return nil, err
	}
	ch, err := n.up.auth.Challenge(ctx, &pb.ChallengeRequest{Member: lie.OtherMember})
	if err != nil {
		return nil, err
	}
	sig := lie.OtherKey.SignHash(seqapi.AuthenticationHash(ch.Nonce, id.SynchronizerId))
	res, err := n.up.auth.Authenticate(ctx, &pb.AuthenticateRequest{Member: lie.OtherMember, Nonce: ch.Nonce, Signature: sig, KeyFingerprint: lie.OtherKey.Fingerprint().String()})
	if err != nil {
		return nil, fmt.Errorf("lying node: authenticate as %s: %w", lie.OtherMember, err)
	}
	return seqapi.WithCredentials(ctx, lie.OtherMember, res.Token), nil
}

// item is one event with its proof (nil without proofs).
type item struct {
	ev    *pb.SequencedEvent
	proof *pb.EventProof
}

func (it item) response() *pb.SubscribeResponse {
	r := &pb.SubscribeResponse{Event: it.ev}
	if it.proof != nil {
		r.Proofs = []*pb.EventProof{it.proof}
	}
	return r
}

// split returns the events of a response with their proofs.
func split(resp *pb.SubscribeResponse) []item {
	evs := resp.GetEvents()
	if len(evs) == 0 {
		evs = []*pb.SequencedEvent{resp.GetEvent()}
	}
	out := make([]item, len(evs))
	for i, ev := range evs {
		out[i].ev = ev
		if i < len(resp.Proofs) {
			out[i].proof = resp.Proofs[i]
		}
	}
	return out
}

// rewriter applies a lie to a stream of events, in order.
type rewriter struct {
	lie   Lie
	shift int64 // events dropped so far
	held  *item // the first event of a swap
}

func (r *rewriter) push(it item) []item {
	if it.ev == nil {
		return []item{it}
	}
	l := r.lie
	if l.HasDrop && it.ev.Counter == l.DropCounter && r.shift == 0 {
		r.shift = 1
		return nil
	}
	it.ev.Counter -= r.shift
	c := it.ev.Counter
	switch {
	case l.HasWithhold && c >= l.WithholdFrom:
		return nil
	case l.HasAlter && c == l.AlterCounter:
		alter(it.ev)
	case l.HasSwap && c == l.SwapCounter:
		r.held = &it
		return nil
	case l.HasSwap && c == l.SwapCounter+1 && r.held != nil:
		a := *r.held
		r.held = nil
		a.ev.Counter, it.ev.Counter = it.ev.Counter, a.ev.Counter
		a.ev.TimestampMicros, it.ev.TimestampMicros = it.ev.TimestampMicros, a.ev.TimestampMicros
		return []item{it, a}
	}
	return []item{it}
}

// alter flips one byte of the event: of its first envelope's content, else of its
// sender or message id.
func alter(ev *pb.SequencedEvent) {
	if b := ev.GetBatch(); b != nil && len(b.Envelopes) > 0 && len(b.Envelopes[0].Content) > 0 {
		b.Envelopes[0].Content[0] ^= 0xff
		return
	}
	if ev.Sender != "" {
		ev.Sender = "X" + ev.Sender[1:]
		return
	}
	ev.MessageId += "X"
}
