package driver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	pb "github.com/cometsync/cometsync/proto/sequencerpb"
	"github.com/cometsync/cometsync/seqapi"
)

// ErrNotAdmitted is returned by Onboard when the member's onboarding requests were
// sequenced but the member still cannot authenticate when ctx ends (a permissioned
// synchronizer whose owners have not granted it a ParticipantSynchronizerPermission).
var ErrNotAdmitted = errors.New("not admitted to the synchronizer")

// Onboard admits a member that is not on the synchronizer yet: it sends batch (topology
// requests to the TopologyManager, signed by cfg's key: the member's root certificate
// and keys) without a token, as the onboarding rules allow, then tries to authenticate,
// backing off, until the sequencer accepts the member (its keys are in force after the
// topology change delay) or ctx ends.
func Onboard(ctx context.Context, cfg Config, batch *pb.Batch, logger *slog.Logger) error {
	c, err := New(cfg, logger)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.SendOnboarding(ctx, batch, SendOptions{}); err != nil {
		return err
	}
	c.logger.Info("onboarding requests sent, waiting to be admitted", "member", cfg.Member)
	return c.waitAdmitted(ctx)
}

// SendOnboarding sends batch once without a token, as Onboard does, and returns once an
// endpoint took it, without waiting to be admitted: for a caller that watches the
// outcome itself (the topology CLI polls the topology state). The batch must be what
// the onboarding rules allow (topology requests to the TopologyManager introducing the
// member's key); it is signed with the config's key. opts.MessageID (default "onboard-"
// and a random id), TTL and MaxSequencingTime apply as for Send; TopologyTimestampMicros
// is ignored. There is no receipt: a non-member has no stream. A refusal is returned as
// the sequencer's *SendError.
func (c *Client) SendOnboarding(ctx context.Context, batch *pb.Batch, opts SendOptions) error {
	id := opts.MessageID
	if id == "" {
		id = "onboard-" + randomID()
	}
	maxSeq := opts.MaxSequencingTime
	if maxSeq.IsZero() {
		ttl := opts.TTL
		if ttl <= 0 {
			ttl = c.cfg.SendTTL
		}
		maxSeq = time.Now().Add(ttl)
	}
	tx, err := c.sign(&pb.SubmissionRequest{
		Sender: c.cfg.Member, MessageId: id, Batch: batch, MaxSequencingTimeMicros: maxSeq.UnixMicro(),
	})
	if err != nil {
		return err
	}
	if err := sendUnauthenticated(ctx, c.cfg, tx); err != nil {
		return fmt.Errorf("onboarding request: %w", err)
	}
	return nil
}

// WaitAdmitted returns once the member of cfg can authenticate, trying with backoff: for
// a member whose topology transactions someone else submits (an external key ceremony,
// or owners granting a permission).
func WaitAdmitted(ctx context.Context, cfg Config, logger *slog.Logger) error {
	c, err := New(cfg, logger)
	if err != nil {
		return err
	}
	defer c.Close()
	return c.waitAdmitted(ctx)
}

// admissionWait says, once a member's key is refused, what an onboarding member waits for
// and who must act.
const admissionWait = "waiting to be admitted: for the member's keys to come into force (after the topology change delay) " +
	"and, on a permissioned synchronizer, for a ParticipantSynchronizerPermission from the synchronizer owners " +
	"(cometsync topology propose participant-permission, signed by the owners)"

// admittedLogEvery is how many refused attempts waitAdmitted makes between two log
// lines: with the backoff at its 2 s cap, one line in 40 s.
const admittedLogEvery = 20

func (c *Client) waitAdmitted(ctx context.Context) error {
	c.admitting = true
	start := time.Now()
	logged := false
	return retry(ctx, c.cfg.ReconnectBackoff, admittedLogEvery, func() (bool, error) {
		err := c.Connect(ctx)
		return err == nil || errors.Is(err, ErrSynchronizerMismatch), err
	}, func(err error) {
		switch {
		case !errors.Is(err, ErrKeyNotRegistered):
			c.logger.Info("not admitted yet", "member", c.cfg.Member, "err", err)
		case !logged:
			logged = true
			c.logger.Info(admissionWait, "member", c.cfg.Member)
		default:
			c.logger.Info("still waiting to be admitted", "member", c.cfg.Member, "waited", time.Since(start).Round(time.Second))
		}
	}, func(last error) error {
		return fmt.Errorf("%w: %s: %w (last attempt: %v)", ErrNotAdmitted, c.cfg.Member, ctx.Err(), last)
	})
}

// retry calls try, backing off from backoff up to 2 s, until it reports done (then it
// returns try's error) or ctx ends (then it returns expired(the last error)); every
// logEvery-th failure goes to logf.
func retry(ctx context.Context, backoff time.Duration, logEvery int, try func() (bool, error), logf func(error), expired func(error) error) error {
	for attempt := 0; ; attempt++ {
		done, err := try()
		if done {
			return err
		}
		if attempt%logEvery == 0 {
			logf(err)
		}
		t := time.NewTimer(backoff)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return expired(err)
		}
		backoff = min(2*backoff, 2*time.Second)
	}
}

// sendUnauthenticated submits tx once to the first endpoint that takes it. While an
// endpoint refuses for load (ResourceExhausted with a RetryInfo: its rate limit of
// unauthenticated calls, a full mempool) it waits as asked and sends again.
func sendUnauthenticated(ctx context.Context, cfg Config, tx []byte) error {
	var errs []error
	for _, addr := range cfg.Endpoints {
		e, err := dialEndpoint(addr, cfg)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for {
			cctx, cancel := context.WithTimeout(ctx, cfg.CallTimeout)
			_, err = e.seq.Send(cctx, &pb.SendRequest{Submission: tx})
			cancel()
			d, busy := retryHint(err)
			if !busy || sleepCtx(ctx, min(d, cfg.MaxReconnectBackoff)) != nil {
				break
			}
		}
		e.conn.Close()
		if err == nil {
			return nil
		}
		if refused, ok := submissionOutcome(err); ok {
			return refused
		}
		errs = append(errs, fmt.Errorf("%s: %w", addr, err))
	}
	return fmt.Errorf("%w: %w", ErrNoEndpoint, errors.Join(errs...))
}

// WaitReachable returns once a sequencer endpoint of cfg answers the handshake, retrying
// with backoff (and logging) while none does: a node started alongside its sequencer
// waits for it instead of failing. It returns ctx's error when ctx ends first.
func WaitReachable(ctx context.Context, cfg Config, logger *slog.Logger) error {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return retry(ctx, cfg.ReconnectBackoff, 10, func() (bool, error) {
		var errs []error
		for _, addr := range cfg.Endpoints {
			e, err := dialEndpoint(addr, cfg)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			cctx, cancel := context.WithTimeout(ctx, cfg.CallTimeout)
			_, err = e.connect.Handshake(cctx, &pb.HandshakeRequest{ClientProtocolVersions: []string{seqapi.ProtocolVersion}})
			cancel()
			e.conn.Close()
			if err == nil {
				return true, nil
			}
			errs = append(errs, fmt.Errorf("%s: %w", addr, err))
		}
		return false, errors.Join(errs...)
	}, func(err error) {
		logger.Warn("no sequencer endpoint reachable yet, retrying", "err", err)
	}, func(last error) error {
		return fmt.Errorf("%w: %w (last attempt: %w)", ErrNoEndpoint, ctx.Err(), last)
	})
}
