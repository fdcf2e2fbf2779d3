package driver

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/cometbft/cometbft/light/provider"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	cmttypes "github.com/cometbft/cometbft/types"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "github.com/cometsync/cometsync/proto/sequencerpb"
	"github.com/cometsync/cometsync/proto/sequencersvc"
)

// lightProvider is a light/provider.Provider over one node's
// SequencerProofService.GetLightBlock. It checks what it returns only for form (the
// chain id, the header against its validator set): verification is the light client's.
type lightProvider struct {
	addr    string
	chainID string
	proofs  sequencersvc.SequencerProofServiceClient
	timeout time.Duration

	mu      sync.Mutex
	last    *cmttypes.LightBlock // the last block served, for its selfWitness
	fetched map[int64]*cmttypes.LightBlock
	pending map[int64]bool
}

// maxPrefetched bounds the light blocks fetched ahead of the light client, and
// maxPrefetching the calls in flight for them.
const maxPrefetched, maxPrefetching = 512, 16

// prefetch fetches the light blocks of heights in the background, several at a time, so
// that the light client's next requests find them (a replay verifies many headers in a
// row, each a round trip otherwise).
func (p *lightProvider) prefetch(ctx context.Context, heights []int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fetched == nil {
		p.fetched, p.pending = make(map[int64]*cmttypes.LightBlock), make(map[int64]bool)
	}
	for _, h := range heights {
		if len(p.pending) >= maxPrefetching || len(p.fetched)+len(p.pending) >= maxPrefetched {
			return
		}
		if h <= 0 || p.pending[h] || p.fetched[h] != nil {
			continue
		}
		p.pending[h] = true
		go func() {
			lb, err := p.fetch(ctx, h)
			p.mu.Lock()
			defer p.mu.Unlock()
			delete(p.pending, h)
			if err == nil {
				p.fetched[h] = lb
			}
		}()
	}
}

// stage fetches the light block of height now unless it is prefetched, and keeps it for
// the light client's next request of it; a node without it yet answers ErrHeightTooHigh.
func (p *lightProvider) stage(ctx context.Context, height int64) error {
	p.mu.Lock()
	if p.fetched == nil {
		p.fetched, p.pending = make(map[int64]*cmttypes.LightBlock), make(map[int64]bool)
	}
	staged := p.fetched[height] != nil
	p.mu.Unlock()
	if staged {
		return nil
	}
	lb, err := p.fetch(ctx, height)
	if err != nil {
		return err
	}
	p.mu.Lock()
	if len(p.fetched) >= maxPrefetched {
		clear(p.fetched) // blocks the light client did not ask for (it had them already)
	}
	p.fetched[height] = lb
	p.mu.Unlock()
	return nil
}

// takePrefetched returns and forgets the prefetched block of height, if any.
func (p *lightProvider) takePrefetched(height int64) *cmttypes.LightBlock {
	p.mu.Lock()
	defer p.mu.Unlock()
	lb := p.fetched[height]
	if lb != nil {
		delete(p.fetched, height)
		p.last = lb
	}
	return lb
}

var _ provider.Provider = (*lightProvider)(nil)

func (p *lightProvider) String() string { return p.addr }

// ChainID returns the chain id the provider was made for.
func (p *lightProvider) ChainID() string { return p.chainID }

// LightBlock fetches the light block at height (0: the latest). A node that has no such
// block yet answers NotFound or OutOfRange (ErrHeightTooHigh), one that pruned it
// ErrLightBlockNotFound, one that cannot be reached ErrNoResponse; a malformed or foreign
// block is an ErrBadLightBlock. (fetch returns a pruned block's *BlocksPrunedError.)
func (p *lightProvider) LightBlock(ctx context.Context, height int64) (*cmttypes.LightBlock, error) {
	if lb := p.takePrefetched(height); lb != nil {
		return lb, nil
	}
	lb, err := p.fetch(ctx, height)
	var pruned *BlocksPrunedError
	if errors.As(err, &pruned) {
		// The light client tells the sentinel errors apart by equality.
		return nil, provider.ErrLightBlockNotFound
	}
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	p.last = lb
	p.mu.Unlock()
	return lb, nil
}

// fetch asks the node for the light block at height and checks its form.
func (p *lightProvider) fetch(ctx context.Context, height int64) (*cmttypes.LightBlock, error) {
	cctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	res, err := p.proofs.GetLightBlock(cctx, &pb.GetLightBlockRequest{Height: height})
	if pruned := asBlocksPruned(err, p.addr, height); pruned != nil {
		return nil, pruned
	}
	if err != nil {
		return nil, providerError(ctx, err)
	}
	if res.ChainId != p.chainID {
		return nil, provider.ErrBadLightBlock{Reason: fmt.Errorf("%s serves chain %q, want %q", p.addr, res.ChainId, p.chainID)}
	}
	lb, err := decodeLightBlock(res.LightBlock)
	if err != nil {
		return nil, provider.ErrBadLightBlock{Reason: fmt.Errorf("from %s: %w", p.addr, err)}
	}
	if height != 0 && lb.Height != height {
		return nil, provider.ErrBadLightBlock{Reason: fmt.Errorf("%s answered height %d with height %d", p.addr, height, lb.Height)}
	}
	if err := lb.ValidateBasic(p.chainID); err != nil {
		return nil, provider.ErrBadLightBlock{Reason: fmt.Errorf("from %s: %w", p.addr, err)}
	}
	return lb, nil
}

// selfWitness is the primary as its own witness (the light client needs one): it
// answers with the block the primary just served, without asking the node again, since
// comparing a node with itself shows nothing.
type selfWitness struct{ p *lightProvider }

func (w selfWitness) String() string  { return w.p.addr + " (itself)" }
func (w selfWitness) ChainID() string { return w.p.chainID }

func (w selfWitness) LightBlock(ctx context.Context, height int64) (*cmttypes.LightBlock, error) {
	w.p.mu.Lock()
	lb := w.p.last
	w.p.mu.Unlock()
	if lb != nil && lb.Height == height && height != 0 {
		return lb, nil
	}
	// The light client may have made another endpoint its primary (this one did not have
	// a header yet): this one is then a witness like the others, and may lag.
	return laggingWitness(w).LightBlock(ctx, height)
}

func (w selfWitness) ReportEvidence(context.Context, cmttypes.Evidence) error { return nil }

// ReportEvidence is not served by the sequencer API: evidence of an attack is logged by
// the light client and reported to the member as ErrHeaderVerification.
func (p *lightProvider) ReportEvidence(context.Context, cmttypes.Evidence) error { return nil }

// decodeLightBlock decodes a tendermint.types.LightBlock from its protobuf bytes.
func decodeLightBlock(b []byte) (*cmttypes.LightBlock, error) {
	var lbp cmtproto.LightBlock
	if err := lbp.Unmarshal(b); err != nil {
		return nil, fmt.Errorf("decode light block: %w", err)
	}
	lb, err := cmttypes.LightBlockFromProto(&lbp)
	if err != nil {
		return nil, fmt.Errorf("decode light block: %w", err)
	}
	return lb, nil
}

// providerError maps a GetLightBlock failure to the provider's errors, which tell the
// light client whether to drop the provider.
func providerError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	switch status.Code(err) {
	case codes.NotFound, codes.OutOfRange:
		return provider.ErrHeightTooHigh
	case codes.Unavailable, codes.DeadlineExceeded, codes.ResourceExhausted, codes.Canceled:
		return provider.ErrNoResponse
	}
	return fmt.Errorf("light block: %w", err)
}

// transientHeaderError reports whether a header could not be had for now (not served
// yet, node unreachable) rather than refused.
func transientHeaderError(err error) bool {
	return errors.Is(err, provider.ErrHeightTooHigh) || errors.Is(err, provider.ErrLightBlockNotFound) || errors.Is(err, provider.ErrNoResponse)
}

// witnessWait is how long a witness that does not have a header yet is given to get it.
const witnessWait = 2 * time.Second

// laggingWitness is another endpoint as a witness of the light client. A witness that
// does not have the header being checked yet (it is a block behind the primary, the
// common case when a member verifies a block as soon as it is committed) is asked again
// for up to witnessWait; after that it counts as not responding for this header. The
// light client would otherwise sleep 2 × max clock drift + max block lag (30 s by
// default, not cancellable) before asking it again, stalling the member. A lagging
// witness skips one comparison: the header is still verified against the trusted
// validator set, and compared with every witness that has it.
type laggingWitness struct{ p *lightProvider }

func (w laggingWitness) String() string  { return w.p.String() }
func (w laggingWitness) ChainID() string { return w.p.chainID }

func (w laggingWitness) LightBlock(ctx context.Context, height int64) (*cmttypes.LightBlock, error) {
	deadline := time.Now().Add(witnessWait)
	backoff := 20 * time.Millisecond
	for {
		lb, err := w.p.LightBlock(ctx, height)
		if height == 0 || !errors.Is(err, provider.ErrHeightTooHigh) {
			return lb, err
		}
		if time.Now().After(deadline) {
			return nil, provider.ErrNoResponse
		}
		if err := sleepCtx(ctx, backoff); err != nil {
			return nil, err
		}
		backoff = min(2*backoff, 200*time.Millisecond)
	}
}

func (w laggingWitness) ReportEvidence(context.Context, cmttypes.Evidence) error { return nil }
