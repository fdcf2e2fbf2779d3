package driver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "github.com/cometsync/cometsync/proto/sequencerpb"
	"github.com/cometsync/cometsync/seqapi"
)

// Client is a connection to a synchronizer's sequencer nodes on behalf of one member. It
// is safe for concurrent use. Create it with New; Close releases it.
type Client struct {
	cfg    Config
	logger *slog.Logger
	ctx    context.Context // ends at Close; bounds background resubmission
	cancel context.CancelFunc

	connMu sync.Mutex // serializes connection establishment
	// admitting: the client only waits to be admitted (waitAdmitted), which says itself
	// what it waits for; an endpoint refusing the not-yet-admitted key is not a warning.
	admitting bool

	mu            sync.Mutex
	endpoints     []*endpoint // nil until dialed
	idx           int         // endpoint in use or to try next
	active        *endpoint   // connected and verified; nil when none
	syncID        string
	pending       map[string]*Handle
	expiry        expiryQueue
	seqTime       int64 // highest event timestamp seen on the subscription
	subscribed    bool
	closed        bool
	timeProofID   int64
	lastTimeProof time.Time

	verify *verifier // nil when Config.Verify is off

	sendq    chan *queued // submissions for the sender goroutines (batch.go)
	sendOnce sync.Once
}

// New validates cfg and returns an unconnected client. A nil logger discards logs.
func New(cfg Config, logger *slog.Logger) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if _, err := cfg.transport(); err != nil { // the TLS files, read once to fail at start
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	c := &Client{
		cfg: cfg, logger: logger.With("member", cfg.Member), ctx: ctx, cancel: cancel,
		endpoints: make([]*endpoint, len(cfg.Endpoints)),
		syncID:    cfg.SynchronizerID,
		pending:   make(map[string]*Handle),
		sendq:     make(chan *queued, sendWorkers*maxSendBatch),
	}
	if cfg.Verify.Enabled {
		c.verify = newVerifier(c)
	}
	return c, nil
}

// SynchronizerID returns the pinned synchronizer id (empty before the first Connect when
// none was configured).
func (c *Client) SynchronizerID() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.syncID
}

// Endpoint returns the address of the endpoint in use, or "" when not connected.
func (c *Client) Endpoint() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.active == nil {
		return ""
	}
	return c.active.addr
}

// Connect connects to the first endpoint, in configured order from the current one, that
// answers the handshake, serves the pinned synchronizer and authenticates the member. It
// fails with ErrNoEndpoint wrapping every endpoint's error (which include
// ErrSynchronizerMismatch or ErrKeyNotRegistered when that was the reason).
func (c *Client) Connect(ctx context.Context) error {
	_, err := c.current(ctx)
	return err
}

// Close stops background resubmission, fails pending handles with ErrClosed and closes
// the connections. A running Subscribe ends with its context or at its next reconnect.
func (c *Client) Close() error {
	c.cancel()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil
	}
	c.closed = true
	for id, h := range c.pending {
		delete(c.pending, id)
		h.resolve(nil, ErrClosed)
	}
	var errs []error
	for _, e := range c.endpoints {
		if e != nil {
			errs = append(errs, e.conn.Close())
		}
	}
	c.active = nil
	return errors.Join(errs...)
}

// current returns the active endpoint, connecting one when there is none.
func (c *Client) current(ctx context.Context) (*endpoint, error) {
	c.connMu.Lock()
	defer c.connMu.Unlock()
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil, ErrClosed
	}
	if c.active != nil {
		e := c.active
		c.mu.Unlock()
		return e, nil
	}
	order := c.tryOrderLocked(time.Now())
	c.mu.Unlock()
	var errs []error
	for _, idx := range order {
		e, err := c.establish(ctx, idx)
		if err == nil {
			c.mu.Lock()
			c.active, c.idx = e, idx
			c.mu.Unlock()
			c.logger.Info("connected to sequencer", "endpoint", e.addr)
			return e, nil
		}
		logf := c.logger.Warn
		if c.admitting && errors.Is(err, ErrKeyNotRegistered) {
			logf = c.logger.Debug
		}
		logf("sequencer endpoint unusable", "endpoint", c.cfg.Endpoints[idx], "err", err)
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	return nil, fmt.Errorf("%w: %w", ErrNoEndpoint, errors.Join(errs...))
}

// tryOrderLocked returns the endpoints in the order to try them: from the current one
// on, those quarantined after a failed verification last.
func (c *Client) tryOrderLocked(now time.Time) []int {
	n := len(c.cfg.Endpoints)
	order := make([]int, 0, n)
	var bad []int
	for i := range n {
		idx := (c.idx + i) % n
		if e := c.endpoints[idx]; e != nil && now.Before(e.badUntil) {
			bad = append(bad, idx)
			continue
		}
		order = append(order, idx)
	}
	return append(order, bad...)
}

// quarantine keeps e from being tried first for the configured time, after it failed
// verification.
func (c *Client) quarantine(e *endpoint) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e.badUntil = time.Now().Add(c.cfg.Verify.Quarantine)
}

// establish dials endpoint idx (once), handshakes, checks the synchronizer and
// authenticates.
func (c *Client) establish(ctx context.Context, idx int) (*endpoint, error) {
	e, err := c.dialed(idx)
	if err != nil {
		return nil, err
	}
	cctx, cancel := context.WithTimeout(ctx, c.cfg.CallTimeout)
	defer cancel()
	if _, err := e.connect.Handshake(cctx, &pb.HandshakeRequest{ClientProtocolVersions: []string{seqapi.ProtocolVersion}}); err != nil {
		return nil, fmt.Errorf("handshake with %s: %w", e.addr, err)
	}
	id, err := e.connect.GetSynchronizerId(cctx, &pb.GetSynchronizerIdRequest{})
	if err != nil {
		return nil, fmt.Errorf("synchronizer id of %s: %w", e.addr, err)
	}
	if err := c.pin(id.SynchronizerId, e.addr); err != nil {
		return nil, err
	}
	e.invalidate()
	if _, err := e.credentials(ctx, c); err != nil {
		return nil, err
	}
	return e, nil
}

// dialed returns endpoint idx, dialing it (without a call) the first time.
func (c *Client) dialed(idx int) (*endpoint, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, ErrClosed
	}
	if e := c.endpoints[idx]; e != nil {
		return e, nil
	}
	e, err := dialEndpoint(c.cfg.Endpoints[idx], c.cfg)
	if err != nil {
		return nil, err
	}
	c.endpoints[idx] = e
	return e, nil
}

// pin checks id against the pinned synchronizer, pinning it when none is.
func (c *Client) pin(id, addr string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.syncID == "" {
		c.syncID = id
		c.logger.Info("pinned synchronizer", "synchronizer", id, "endpoint", addr)
		return nil
	}
	if c.syncID != id {
		return fmt.Errorf("%w: %s serves %s, pinned %s", ErrSynchronizerMismatch, addr, id, c.syncID)
	}
	return nil
}

// failover drops e as the active endpoint and makes the next one the first to try.
func (c *Client) failover(e *endpoint, cause error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.active != e {
		return
	}
	c.active = nil
	c.idx = (c.idx + 1) % len(c.cfg.Endpoints)
	c.logger.Warn("leaving sequencer endpoint", "endpoint", e.addr, "err", cause)
}

// call runs fn with credentials on the active endpoint. It re-authenticates once on
// Unauthenticated, moves to the next endpoint on Unavailable, up to once per endpoint,
// and waits and calls again on the same endpoint while the node asks it to
// (ResourceExhausted with a RetryInfo: a full mempool), until ctx ends. Other errors,
// the submitter's own among them (InvalidArgument: too large, malformed), are returned
// as they are: another endpoint would refuse the same.
func (c *Client) call(ctx context.Context, fn func(ctx context.Context, e *endpoint) error) error {
	var err error
	for tries := 0; tries < len(c.cfg.Endpoints); {
		var e *endpoint
		if e, err = c.current(ctx); err != nil {
			return err
		}
		err = c.callOn(ctx, e, fn)
		if d, busy := retryHint(err); busy && ctx.Err() == nil {
			c.logger.Debug("sequencer busy, calling again later", "endpoint", e.addr, "retry_in", d, "err", err)
			if sleepCtx(ctx, min(d, c.cfg.MaxReconnectBackoff)) != nil {
				return err
			}
			continue
		}
		if err == nil || ctx.Err() != nil || status.Code(err) != codes.Unavailable {
			return err
		}
		c.failover(e, err)
		tries++
	}
	return err
}

// retryHint returns the delay a ResourceExhausted status with a RetryInfo detail asks
// for. A ResourceExhausted without one (a message over gRPC's size limit) is no reason
// to wait.
func retryHint(err error) (time.Duration, bool) {
	if status.Code(err) != codes.ResourceExhausted {
		return 0, false
	}
	return seqapi.RetryDelay(err)
}

func (c *Client) callOn(ctx context.Context, e *endpoint, fn func(context.Context, *endpoint) error) error {
	for attempt := 0; ; attempt++ {
		cctx, cancel := context.WithTimeout(ctx, c.cfg.CallTimeout)
		authed, err := e.credentials(cctx, c)
		if err == nil {
			err = fn(authed, e)
		}
		cancel()
		if status.Code(err) != codes.Unauthenticated || attempt > 0 {
			return err
		}
		c.logger.Debug("token refused, authenticating again", "endpoint", e.addr, "err", err)
		e.invalidate()
	}
}

// Acknowledge tells the sequencer that the member has durably processed its stream up to
// timestamp ts (microseconds), allowing it to prune.
func (c *Client) Acknowledge(ctx context.Context, ts int64) error {
	return c.call(ctx, func(ctx context.Context, e *endpoint) error {
		_, err := e.seq.Acknowledge(ctx, &pb.AcknowledgeRequest{Member: c.cfg.Member, TimestampMicros: ts})
		return err
	})
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
