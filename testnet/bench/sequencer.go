package bench

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"time"

	"github.com/cometsync/cometsync/crypto"
	"github.com/cometsync/cometsync/driver"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
	"github.com/cometsync/cometsync/testnet"
)

// seqSystem is a one-validator cometsync chain driven through the gRPC API: one sender
// and w.Recipients recipients, each with its own driver client and subscription.
type seqSystem struct {
	net        *testnet.Network
	sender     *driver.Client
	recipients []*driver.Client
	rcpts      []*pb.Recipient
	cancel     context.CancelFunc

	mu     sync.Mutex
	counts map[uint64]int
	done   chan uint64
	blocks blockClock
}

func startSequencer(ctx context.Context, dir string, recipients int) (*seqSystem, error) {
	specs := []testnet.MemberSpec{{Kind: crypto.KindParticipant, Name: "sender"}}
	for i := 0; i < recipients; i++ {
		specs = append(specs, testnet.MemberSpec{Kind: crypto.KindParticipant, Name: fmt.Sprintf("r%d", i)})
	}
	net, err := testnet.New(testnet.Options{Dir: filepath.Join(dir, "sequencer"), Validators: 1, Members: specs, Slow: true})
	if err != nil {
		return nil, err
	}
	if err := net.StartAll(); err != nil {
		net.Close()
		return nil, err
	}
	sctx, cancel := context.WithCancel(ctx)
	s := &seqSystem{net: net, cancel: cancel, counts: make(map[uint64]int), done: make(chan uint64, 1<<16)}
	if s.sender, err = s.connect(sctx, net.Member("sender"), nil); err != nil {
		s.close()
		return nil, err
	}
	for i := 0; i < recipients; i++ {
		m := net.Member(fmt.Sprintf("r%d", i))
		c, err := s.connect(sctx, m, s.onEvent)
		if err != nil {
			s.close()
			return nil, err
		}
		s.recipients = append(s.recipients, c)
		s.rcpts = append(s.rcpts, &pb.Recipient{Member: m.ID})
	}
	return s, nil
}

func (s *seqSystem) connect(ctx context.Context, m testnet.Member, h driver.Handler) (*driver.Client, error) {
	cfg := driver.DefaultConfig()
	cfg.Endpoints = []string{s.net.APIAddress(0)}
	cfg.Member, cfg.SigningKey = m.ID, m.Key
	c, err := driver.New(cfg, nil)
	if err != nil {
		return nil, err
	}
	if err := c.Connect(ctx); err != nil {
		return nil, err
	}
	if h == nil {
		h = func(context.Context, *pb.SequencedEvent) error { return nil }
	}
	go func() {
		if err := c.Subscribe(ctx, 0, h); err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, driver.ErrClosed) {
			fmt.Printf("bench: subscription of %s ended: %v\n", m.ID, err)
		}
	}()
	return c, nil
}

// onEvent counts deliveries per submission; a submission completes when every recipient
// has it on its stream.
func (s *seqSystem) onEvent(_ context.Context, ev *pb.SequencedEvent) error {
	s.blocks.observe(ev.Height, time.UnixMicro(ev.TimestampMicros))
	for _, env := range ev.GetBatch().GetEnvelopes() {
		if len(env.Content) < 8 {
			continue
		}
		seq := binary.BigEndian.Uint64(env.Content)
		s.mu.Lock()
		s.counts[seq]++
		complete := s.counts[seq] == len(s.recipients)
		if complete {
			delete(s.counts, seq)
		}
		s.mu.Unlock()
		if complete {
			s.done <- seq
		}
	}
	return nil
}

func (s *seqSystem) submit(ctx context.Context, seq uint64, payload []byte) error {
	content := make([]byte, max(len(payload), 8))
	binary.BigEndian.PutUint64(content, seq)
	batch := &pb.Batch{Envelopes: []*pb.Envelope{{Recipients: s.rcpts, Content: content}}}
	_, err := s.sender.Send(ctx, batch, driver.SendOptions{})
	return err
}

func (s *seqSystem) completions() <-chan uint64   { return s.done }
func (s *seqSystem) blockInterval() time.Duration { return s.blocks.mean() }

func (s *seqSystem) close() {
	s.cancel()
	if s.sender != nil {
		s.sender.Close()
	}
	for _, c := range s.recipients {
		c.Close()
	}
	s.net.Close()
}
