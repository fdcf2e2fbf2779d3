package driver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	dbm "github.com/cometbft/cometbft-db"
	cmtlog "github.com/cometbft/cometbft/libs/log"
	"github.com/cometbft/cometbft/light"
	"github.com/cometbft/cometbft/light/provider"
	"github.com/cometbft/cometbft/light/store"
	lightdb "github.com/cometbft/cometbft/light/store/db"
	cmttypes "github.com/cometbft/cometbft/types"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// maxCachedHeaders bounds the verifier's header cache (the light store keeps more).
const maxCachedHeaders = 4096

// verifier runs the light client of a Client with verification on. Its light client is
// made for the endpoint in use (its primary), with the other endpoints as witnesses, over
// one store of verified light blocks, so that what was verified through one endpoint
// stays trusted when the client moves to another.
type verifier struct {
	c     *Client
	cfg   VerifyConfig
	store store.Store

	mu      sync.Mutex // serializes the light client and guards what follows
	chainID string
	lc      *light.Client
	lcFor   *endpoint
	primary *lightProvider // lc's primary when it was made, for prefetching
	headers map[int64]*cmttypes.Header
	first   int64 // lowest and highest height verified for this client (0: none)
	last    int64
}

func newVerifier(c *Client) *verifier {
	db := c.cfg.Verify.Store
	if db == nil {
		db = dbm.NewMemDB()
	}
	return &verifier{c: c, cfg: c.cfg.Verify, store: lightdb.New(db, "cometsync-light"), headers: make(map[int64]*cmttypes.Header)}
}

// VerifiedHeights returns the lowest and the highest height whose header the client
// verified to check what it delivered (0, 0 when verification is off or nothing was
// verified yet).
func (c *Client) VerifiedHeights() (first, last int64) {
	if c.verify == nil {
		return 0, 0
	}
	c.verify.mu.Lock()
	defer c.verify.mu.Unlock()
	return c.verify.first, c.verify.last
}

// prefetch has e's provider fetch the light blocks of heights ahead of their
// verification (only once the light client for e exists and none of them is verified).
func (v *verifier) prefetch(ctx context.Context, e *endpoint, heights []int64) {
	v.mu.Lock()
	p := v.primary
	if v.lcFor != e || p == nil {
		v.mu.Unlock()
		return
	}
	todo := heights[:0:0]
	for _, h := range heights {
		if _, ok := v.headers[h]; !ok {
			todo = append(todo, h)
		}
	}
	v.mu.Unlock()
	p.prefetch(ctx, todo)
}

// header returns the verified header at height h, served by e. While no node has the
// header yet it waits (a delay, not a failure); a header the light client refuses is a
// *VerifyError of ErrHeaderVerification; an unreachable node is an Unavailable status.
func (v *verifier) header(ctx context.Context, e *endpoint, h int64) (*cmttypes.Header, error) {
	backoff := 20 * time.Millisecond
	for {
		hdr, err := v.tryHeader(ctx, e, h)
		if err == nil || !errors.Is(err, provider.ErrHeightTooHigh) && !errors.Is(err, provider.ErrLightBlockNotFound) {
			return hdr, err
		}
		if err := sleepCtx(ctx, backoff); err != nil {
			return nil, err
		}
		backoff = min(2*backoff, time.Second)
	}
}

func (v *verifier) tryHeader(ctx context.Context, e *endpoint, h int64) (*cmttypes.Header, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if hdr, ok := v.headers[h]; ok {
		return hdr, nil
	}
	lc, err := v.sessionLocked(ctx, e)
	if err != nil {
		return nil, v.headerError(ctx, e, h, err)
	}
	primary := lc.Primary()
	// Ask e for the block first, so that the light client never sees e without it: it
	// would make a witness its primary and e a witness, which it then waits for.
	if v.lcFor == e && v.primary != nil {
		if err := v.primary.stage(ctx, h); err != nil {
			return nil, v.headerError(ctx, e, h, err)
		}
	}
	// Bounded: the light client waits for every witness while it holds its providers, and
	// a slow witness must delay the member, not stall it.
	vctx, cancel := context.WithTimeout(ctx, 2*v.c.cfg.CallTimeout)
	lb, err := lc.VerifyLightBlockAtHeight(vctx, h, time.Now())
	cancel()
	if err != nil && ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
		err = fmt.Errorf("verify header %d: %w (%w)", h, provider.ErrNoResponse, err)
	}
	if err == nil && droppedPrimary(lc, primary) {
		// The light client replaced e for a bad light block and verified through a
		// witness: e lied about a header.
		err = fmt.Errorf("%s served a light block the light client refused; verified through %s", e.addr, lc.Primary())
	}
	if err != nil {
		if !transientHeaderError(err) {
			v.lc = nil // rebuilt, with every witness, at the next call
		}
		return nil, v.headerError(ctx, e, h, err)
	}
	if len(v.headers) >= maxCachedHeaders {
		clear(v.headers)
	}
	v.headers[h] = lb.Header
	if v.first == 0 || h < v.first {
		v.first = h
	}
	v.last = max(v.last, h)
	return lb.Header, nil
}

// droppedPrimary reports whether lc no longer has primary, as primary or witness: it
// removed it for serving a bad light block (a primary only unable to answer becomes a
// witness).
func droppedPrimary(lc *light.Client, primary provider.Provider) bool {
	if lc.Primary() == primary {
		return false
	}
	return !slices.Contains(lc.Witnesses(), primary)
}

// headerError classifies a light client failure at height h.
func (v *verifier) headerError(ctx context.Context, e *endpoint, h int64, err error) error {
	switch {
	case ctx.Err() != nil:
		return ctx.Err()
	case errors.As(err, new(*BlocksPrunedError)), errors.As(err, new(*ConfigError)):
		return err // neither a lie nor a delay
	case errors.Is(err, provider.ErrHeightTooHigh), errors.Is(err, provider.ErrLightBlockNotFound):
		return err
	case errors.Is(err, provider.ErrNoResponse):
		return status.Errorf(codes.Unavailable, "light block %d from %s: %v", h, e.addr, err)
	}
	return &VerifyError{Kind: ErrHeaderVerification, Endpoint: e.addr, Member: v.c.cfg.Member, Height: h, Err: err}
}

// sessionLocked returns the light client with e as its primary, making it (and, the
// first time, establishing the trust root) when the client moved to e.
func (v *verifier) sessionLocked(ctx context.Context, e *endpoint) (*light.Client, error) {
	if v.lc != nil && v.lcFor == e {
		return v.lc, nil
	}
	primary, err := v.primaryProvider(ctx, e)
	if err != nil {
		return nil, err
	}
	// The primary is a witness of its own as well: the light client needs one, and
	// removing a lying witness must not leave it with none (which fails the header).
	witnesses := append(v.witnesses(e), selfWitness{primary})
	opts := []light.Option{light.SkippingVerification(light.DefaultTrustLevel), light.Logger(cmtlog.NewNopLogger())}
	last, err := v.store.LastLightBlockHeight()
	if err != nil {
		return nil, err
	}
	var lc *light.Client
	if last > 0 && v.cfg.TrustHeight <= last {
		lc, err = light.NewClientFromTrustedStore(v.chainID, v.cfg.TrustPeriod, primary, witnesses, v.store, opts...)
	} else {
		var trust light.TrustOptions
		if trust, err = v.trustOptions(ctx, primary); err == nil {
			lc, err = light.NewClient(ctx, v.chainID, trust, primary, witnesses, v.store, opts...)
		}
	}
	if err != nil {
		return nil, err
	}
	v.lc, v.lcFor, v.primary = lc, e, primary
	return lc, nil
}

// primaryProvider returns e's provider, learning the chain id first when neither the
// configuration nor the genesis gives it (the trusted hash then pins it).
func (v *verifier) primaryProvider(ctx context.Context, e *endpoint) (*lightProvider, error) {
	if v.chainID == "" {
		v.chainID = v.cfg.ChainID
		if v.cfg.Genesis != nil {
			v.chainID = v.cfg.Genesis.ChainID
		}
	}
	if v.chainID == "" {
		cctx, cancel := context.WithTimeout(ctx, v.c.cfg.CallTimeout)
		defer cancel()
		res, err := e.proofs.GetLightBlock(cctx, &pb.GetLightBlockRequest{Height: v.cfg.TrustHeight})
		if err != nil {
			return nil, providerError(ctx, err)
		}
		v.chainID = res.ChainId
	}
	return v.provider(e), nil
}

func (v *verifier) provider(e *endpoint) *lightProvider {
	return &lightProvider{addr: e.addr, chainID: v.chainID, proofs: e.proofs, timeout: v.c.cfg.CallTimeout}
}

// witnesses returns providers for every endpoint but e.
func (v *verifier) witnesses(e *endpoint) []provider.Provider {
	var out []provider.Provider
	for i := range v.c.cfg.Endpoints {
		w, err := v.c.dialed(i)
		if err != nil || w == e {
			continue
		}
		out = append(out, laggingWitness{v.provider(w)})
	}
	return out
}

// trustOptions returns the configured trusted header, or header 1 (the genesis' initial
// height) once it is shown to be signed by the genesis validators. On a chain whose
// blocks were pruned below header 1 it starts from the earliest header the node serves
// instead (trustPruned).
func (v *verifier) trustOptions(ctx context.Context, primary *lightProvider) (light.TrustOptions, error) {
	if v.cfg.TrustHeight > 0 {
		if _, err := primary.fetch(ctx, v.cfg.TrustHeight); errors.As(err, new(*BlocksPrunedError)) {
			return light.TrustOptions{}, &ConfigError{"trust_height", fmt.Sprintf("%v: configure a trusted header (trust_height, trust_hash) at or above it", err)}
		}
		return light.TrustOptions{Period: v.cfg.TrustPeriod, Height: v.cfg.TrustHeight, Hash: v.cfg.trustHash()}, nil
	}
	g := v.cfg.Genesis
	h := int64(1)
	if g != nil {
		h = max(g.InitialHeight, 1)
	}
	lb, err := primary.fetch(ctx, h)
	var pruned *BlocksPrunedError
	if errors.As(err, &pruned) {
		return v.trustPruned(ctx, primary, pruned)
	}
	if err != nil {
		return light.TrustOptions{}, err
	}
	if g == nil { // trust on first use
		if err := lb.ValidatorSet.VerifyCommitLight(v.chainID, lb.Commit.BlockID, 1, lb.Commit); err != nil {
			return light.TrustOptions{}, fmt.Errorf("header 1 is not signed by its validators: %w", err)
		}
		v.c.logger.Warn("verified reads: trusting header 1 on first use (configure a genesis file or a trusted header to trust no node)",
			"endpoint", primary.addr, "hash", fmt.Sprintf("%X", lb.Hash()), "validators", fmt.Sprintf("%X", lb.ValidatorsHash))
		return light.TrustOptions{Period: v.cfg.TrustPeriod, Height: 1, Hash: lb.Hash()}, nil
	}
	vals, err := genesisValidators(g)
	if err != nil {
		return light.TrustOptions{}, err
	}
	if !bytes.Equal(lb.ValidatorsHash, vals.Hash()) {
		return light.TrustOptions{}, fmt.Errorf("header %d names validators %X, the genesis has %X", h, lb.ValidatorsHash, vals.Hash())
	}
	if err := vals.VerifyCommitLight(g.ChainID, lb.Commit.BlockID, h, lb.Commit); err != nil {
		return light.TrustOptions{}, fmt.Errorf("header %d is not signed by the genesis validators: %w", h, err)
	}
	return light.TrustOptions{Period: v.cfg.TrustPeriod, Height: h, Hash: lb.Hash()}, nil
}

// trustPruned establishes the trust root on a chain whose first headers were pruned:
// the earliest header the node serves, which (with a genesis) must be signed as the light
// client's skipping verification from the genesis would require: by two thirds of the
// genesis validators when they are still its validators, else, within the trusting period
// after the genesis time, by a third of them and two thirds of its own. Without a genesis
// it is trusted on first use, like header 1 would be.
func (v *verifier) trustPruned(ctx context.Context, primary *lightProvider, pruned *BlocksPrunedError) (light.TrustOptions, error) {
	lb, err := primary.fetch(ctx, pruned.Earliest)
	if err != nil {
		return light.TrustOptions{}, err
	}
	h := lb.Height
	if err := lb.ValidatorSet.VerifyCommitLight(v.chainID, lb.Commit.BlockID, h, lb.Commit); err != nil {
		return light.TrustOptions{}, fmt.Errorf("header %d is not signed by its validators: %w", h, err)
	}
	g := v.cfg.Genesis
	if g == nil {
		v.c.logger.Warn("verified reads: the chain is pruned below this header; trusting it on first use (configure a genesis file or a trusted header to trust no node)",
			"endpoint", primary.addr, "height", h, "hash", fmt.Sprintf("%X", lb.Hash()), "validators", fmt.Sprintf("%X", lb.ValidatorsHash))
		return light.TrustOptions{Period: v.cfg.TrustPeriod, Height: h, Hash: lb.Hash()}, nil
	}
	vals, err := genesisValidators(g)
	if err != nil {
		return light.TrustOptions{}, err
	}
	switch {
	case bytes.Equal(lb.ValidatorsHash, vals.Hash()):
		if err := vals.VerifyCommitLight(g.ChainID, lb.Commit.BlockID, h, lb.Commit); err != nil {
			return light.TrustOptions{}, fmt.Errorf("header %d (the earliest %s serves) is not signed by the genesis validators: %w", h, primary.addr, err)
		}
	case time.Since(g.GenesisTime) >= v.cfg.TrustPeriod:
		return light.TrustOptions{}, &ConfigError{"trust_height", fmt.Sprintf("%v, its validators changed since the genesis and the genesis is older than the trusting period (%s): configure a trusted header (trust_height, trust_hash) at or above height %d",
			pruned, v.cfg.TrustPeriod, h)}
	default:
		if err := vals.VerifyCommitLightTrusting(g.ChainID, lb.Commit, light.DefaultTrustLevel); err != nil {
			return light.TrustOptions{}, fmt.Errorf("header %d (the earliest %s serves) is not signed by a third of the genesis validators: %w", h, primary.addr, err)
		}
	}
	v.c.logger.Info("verified reads: the chain is pruned below this header; trusting it as signed by the genesis validators",
		"endpoint", primary.addr, "height", h, "hash", fmt.Sprintf("%X", lb.Hash()))
	return light.TrustOptions{Period: v.cfg.TrustPeriod, Height: h, Hash: lb.Hash()}, nil
}

// genesisValidators returns the validator set of the genesis.
func genesisValidators(g *cmttypes.GenesisDoc) (*cmttypes.ValidatorSet, error) {
	vals := make([]*cmttypes.Validator, len(g.Validators))
	for i, gv := range g.Validators {
		vals[i] = cmttypes.NewValidator(gv.PubKey, gv.Power)
	}
	vs := cmttypes.NewValidatorSet(vals)
	return vs, vs.ValidateBasic()
}
