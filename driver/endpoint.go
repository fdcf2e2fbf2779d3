package driver

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"google.golang.org/grpc"

	"github.com/cometsync/cometsync/app/api"
	"github.com/cometsync/cometsync/internal/gogocodec"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
)

// endpoint is one sequencer node: its connection, service clients and current token.
type endpoint struct {
	addr    string
	conn    *grpc.ClientConn
	connect pb.SequencerConnectServiceClient
	auth    pb.SequencerAuthenticationServiceClient
	seq     pb.SequencerServiceClient

	mu      sync.Mutex // serializes authentication and guards the token
	token   string
	renewAt time.Time
}

func dialEndpoint(addr string, opts []grpc.DialOption) (*endpoint, error) {
	// The gogoproto codec first, so that options of the caller's may still override it.
	conn, err := grpc.NewClient(addr, append([]grpc.DialOption{gogocodec.DialOption()}, opts...)...)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", addr, err)
	}
	return &endpoint{
		addr: addr, conn: conn,
		connect: pb.NewSequencerConnectServiceClient(conn),
		auth:    pb.NewSequencerAuthenticationServiceClient(conn),
		seq:     pb.NewSequencerServiceClient(conn),
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
	return api.WithCredentials(ctx, c.cfg.Member, e.token), nil
}

// invalidate forgets the token so that the next call authenticates again.
func (e *endpoint) invalidate() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.token = ""
}

func (e *endpoint) authenticateLocked(ctx context.Context, c *Client) error {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.CallTimeout)
	defer cancel()
	fp := c.cfg.SigningKey.Fingerprint().String()
	ch, err := e.auth.Challenge(ctx, &pb.ChallengeRequest{Member: c.cfg.Member})
	if err != nil {
		return fmt.Errorf("challenge at %s: %w", e.addr, err)
	}
	if !slices.Contains(ch.ExpectedKeyFingerprints, fp) {
		return fmt.Errorf("%w: %s expects keys %v of %s, client has %s", ErrKeyNotRegistered, e.addr, ch.ExpectedKeyFingerprints, c.cfg.Member, fp)
	}
	sig := c.cfg.SigningKey.SignHash(api.AuthenticationHash(ch.Nonce, c.SynchronizerID()))
	resp, err := e.auth.Authenticate(ctx, &pb.AuthenticateRequest{
		Member: c.cfg.Member, Nonce: ch.Nonce, Signature: sig, KeyFingerprint: fp,
	})
	if err != nil {
		return fmt.Errorf("authenticate at %s: %w", e.addr, err)
	}
	now := time.Now()
	expires := time.UnixMicro(resp.ExpiresAtMicros)
	margin := min(c.cfg.TokenRenewMargin, expires.Sub(now)/2)
	e.token, e.renewAt = resp.Token, expires.Add(-margin)
	c.logger.Debug("authenticated", "endpoint", e.addr, "member", c.cfg.Member, "expires", expires)
	return nil
}
