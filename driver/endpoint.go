package driver

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cometsync/cometsync/internal/gogocodec"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
	"github.com/cometsync/cometsync/proto/sequencersvc"
	"github.com/cometsync/cometsync/seqapi"
)

// endpoint is one sequencer node: its connection, service clients and current token.
type endpoint struct {
	addr    string
	conn    *grpc.ClientConn
	connect sequencersvc.SequencerConnectServiceClient
	auth    sequencersvc.SequencerAuthenticationServiceClient
	seq     sequencersvc.SequencerServiceClient
	proofs  sequencersvc.SequencerProofServiceClient

	mu      sync.Mutex // serializes authentication and guards the token
	token   string
	renewAt time.Time
	// badUntil: the endpoint failed verification; it is not tried before this time
	// while another endpoint is usable. Guarded by Client.mu.
	badUntil time.Time
}

// dialEndpoint connects to addr with cfg's TLS (read from its files at each dial, so
// that renewed certificates are picked up on reconnect) and DialOptions.
func dialEndpoint(addr string, cfg Config) (*endpoint, error) {
	creds, err := cfg.transport()
	if err != nil {
		return nil, err
	}
	// The gogoproto codec and the credentials first, so that options of the caller's may
	// still override them.
	conn, err := grpc.NewClient(addr, append([]grpc.DialOption{gogocodec.DialOption(), creds}, cfg.DialOptions...)...)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", addr, err)
	}
	return &endpoint{
		addr: addr, conn: conn,
		connect: sequencersvc.NewSequencerConnectServiceClient(conn),
		auth:    sequencersvc.NewSequencerAuthenticationServiceClient(conn),
		seq:     sequencersvc.NewSequencerServiceClient(conn),
		proofs:  sequencersvc.NewSequencerProofServiceClient(conn),
	}, nil
}

// credentials returns ctx carrying a current token, authenticating first when the token
// is missing or due for renewal.
func (e *endpoint) credentials(ctx context.Context, c *Client) (context.Context, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.token == "" || !time.Now().Before(e.renewAt) {
		if err := e.authenticateLocked(ctx, c); err != nil {
			return nil, err
		}
	}
	return seqapi.WithCredentials(ctx, c.cfg.Member, e.token), nil
}

// invalidate forgets the token so that the next call authenticates again.
func (e *endpoint) invalidate() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.token = ""
}

// maxNonceRetries is how many times authentication asks for a new challenge after its
// nonce was refused (displaced by newer challenges for the member, or expired).
const maxNonceRetries = 3

// authenticateLocked authenticates the member: Challenge, then Authenticate, each
// call bounded by CallTimeout. While the server refuses a call for load
// (ResourceExhausted: its rate limit of unauthenticated calls) the call is made again,
// after the delay of the server's RetryInfo (at most MaxReconnectBackoff), until ctx
// ends; a refused Authenticate is made again with the same nonce, which the refusal
// did not consume. After a refused nonce it asks for a new challenge, up to
// maxNonceRetries times.
func (e *endpoint) authenticateLocked(ctx context.Context, c *Client) error {
	fp := c.cfg.SigningKey.Fingerprint().String()
	for nonceRetries := 0; ; nonceRetries++ {
		var ch *pb.ChallengeResponse
		err := e.whileBusy(ctx, c, func(ctx context.Context) (err error) {
			ch, err = e.auth.Challenge(ctx, &pb.ChallengeRequest{Member: c.cfg.Member})
			return err
		})
		if err != nil {
			return fmt.Errorf("challenge at %s: %w", e.addr, err)
		}
		// Servers since issue 17 list no keys (for member and non-member alike); an
		// older server's list is checked at once.
		if len(ch.ExpectedKeyFingerprints) > 0 && !slices.Contains(ch.ExpectedKeyFingerprints, fp) {
			return fmt.Errorf("%w: %s expects keys %v of %s, client has %s", ErrKeyNotRegistered, e.addr, ch.ExpectedKeyFingerprints, c.cfg.Member, fp)
		}
		sig := c.cfg.SigningKey.SignHash(seqapi.AuthenticationHash(ch.Nonce, c.SynchronizerID()))
		var resp *pb.AuthenticateResponse
		err = e.whileBusy(ctx, c, func(ctx context.Context) (err error) {
			resp, err = e.auth.Authenticate(ctx, &pb.AuthenticateRequest{
				Member: c.cfg.Member, Nonce: ch.Nonce, Signature: sig, KeyFingerprint: fp,
			})
			return err
		})
		reason, _ := seqapi.AuthRefusal(err)
		switch {
		case err == nil:
			e.keep(c, resp)
			return nil
		case reason == seqapi.ReasonSignatureRefused:
			return fmt.Errorf("%w: %s refused key %s for %s (the member is unknown there or the key is not one of its current signing keys): %w", ErrKeyNotRegistered, e.addr, fp, c.cfg.Member, err)
		case reason == seqapi.ReasonNonceRefused && nonceRetries < maxNonceRetries && ctx.Err() == nil:
			c.logger.Debug("nonce refused, asking for a new challenge", "endpoint", e.addr, "err", err)
		default:
			return fmt.Errorf("authenticate at %s: %w", e.addr, err)
		}
	}
}

// whileBusy runs call, each attempt bounded by CallTimeout, again and again while it
// fails with ResourceExhausted, waiting in between as the server's RetryInfo asks
// (else backing off from ReconnectBackoff), at most MaxReconnectBackoff, until ctx ends.
func (e *endpoint) whileBusy(ctx context.Context, c *Client, call func(context.Context) error) error {
	backoff := c.cfg.ReconnectBackoff
	for attempt := 1; ; attempt++ {
		cctx, cancel := context.WithTimeout(ctx, c.cfg.CallTimeout)
		err := call(cctx)
		cancel()
		if status.Code(err) != codes.ResourceExhausted || ctx.Err() != nil {
			return err
		}
		d, ok := seqapi.RetryDelay(err)
		if !ok {
			d, backoff = backoff, min(2*backoff, c.cfg.MaxReconnectBackoff)
		}
		d = min(d, c.cfg.MaxReconnectBackoff)
		logf := c.logger.Debug
		if attempt%10 == 0 {
			logf = c.logger.Info
		}
		logf("sequencer busy, calling again later", "endpoint", e.addr, "attempt", attempt, "retry_in", d, "err", err)
		if cerr := sleepCtx(ctx, d); cerr != nil {
			return fmt.Errorf("%w (last attempt: %w)", cerr, err)
		}
	}
}

// keep records the token of resp, to be renewed TokenRenewMargin before it expires
// (at most half its lifetime).
func (e *endpoint) keep(c *Client, resp *pb.AuthenticateResponse) {
	now := time.Now()
	expires := time.UnixMicro(resp.ExpiresAtMicros)
	margin := min(c.cfg.TokenRenewMargin, expires.Sub(now)/2)
	e.token, e.renewAt = resp.Token, expires.Add(-margin)
	c.logger.Debug("authenticated", "endpoint", e.addr, "member", c.cfg.Member, "expires", expires)
}
