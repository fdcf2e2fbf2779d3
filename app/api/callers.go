package api

import (
	"context"
	"net"
	"sync"
	"time"

	"golang.org/x/time/rate"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
)

// callerKey names the source of a call for the limits of the unauthenticated surface
// (challenges per caller, the rate limit):
//
//   - a remote IPv4 caller by its address, a remote IPv6 caller by its /64 prefix (what
//     one host usually holds): opening more connections does not buy a flooder more;
//     clients behind one NAT share the limits.
//   - a loopback caller by its address and port, that is per connection: every local
//     client has the same IP, and one local flooder must not hold back the
//     co-located participant. Behind a reverse proxy on the same host every client is
//     a loopback caller, so the limits apply per proxy connection: limit per client
//     in the proxy.
func callerKey(ctx context.Context) string {
	p, ok := peer.FromContext(ctx)
	if !ok || p.Addr == nil {
		return "unknown"
	}
	tcp, ok := p.Addr.(*net.TCPAddr)
	if !ok {
		return p.Addr.Network() + ":" + p.Addr.String()
	}
	switch ip := tcp.IP; {
	case ip.IsLoopback():
		return tcp.String()
	case ip.To4() != nil:
		return ip.To4().String()
	default:
		return ip.Mask(net.CIDRMask(64, 128)).String() + "/64"
	}
}

// callerLimits is a token bucket per caller for the unauthenticated calls (Challenge,
// Authenticate, Send without a token). At most max callers are remembered: beyond,
// the callers idle long enough for a full bucket are forgotten (the sweep runs at most
// once per refill period), else an arbitrary one (which then starts again with a full
// bucket).
type callerLimits struct {
	mu        sync.Mutex
	rate      rate.Limit
	burst     int
	max       int
	refill    time.Duration // from empty to full
	lastSweep time.Time
	callers   map[string]*callerLimit
}

type callerLimit struct {
	lim  *rate.Limiter
	last time.Time
}

func newCallerLimits(cfg Config) *callerLimits {
	r := rate.Limit(cfg.UnauthenticatedRate)
	return &callerLimits{
		rate: r, burst: cfg.UnauthenticatedBurst, max: cfg.MaxCallers,
		refill:  time.Duration(float64(cfg.UnauthenticatedBurst) / cfg.UnauthenticatedRate * float64(time.Second)),
		callers: make(map[string]*callerLimit),
	}
}

// allow takes a token from caller's bucket; when there is none it returns how long
// until there is one.
func (l *callerLimits) allow(caller string, now time.Time) (retryAfter time.Duration, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	c := l.callers[caller]
	if c == nil {
		l.makeRoomLocked(now)
		c = &callerLimit{lim: rate.NewLimiter(l.rate, l.burst)}
		l.callers[caller] = c
	}
	c.last = now
	r := c.lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return d, false
	}
	return 0, true
}

func (l *callerLimits) makeRoomLocked(now time.Time) {
	if len(l.callers) < l.max {
		return
	}
	if now.Sub(l.lastSweep) >= l.refill {
		l.lastSweep = now
		for k, c := range l.callers {
			if now.Sub(c.last) >= l.refill {
				delete(l.callers, k)
			}
		}
	}
	for k := range l.callers {
		if len(l.callers) < l.max {
			return
		}
		delete(l.callers, k)
	}
}

// limitUnauthenticated answers ResourceExhausted, with a RetryInfo detail, when the
// caller of ctx has used up its unauthenticated calls for now.
func (s *Server) limitUnauthenticated(ctx context.Context, method string) error {
	caller := callerKey(ctx)
	d, ok := s.callers.allow(caller, s.cfg.now())
	if ok {
		return nil
	}
	return retryStatus(codes.ResourceExhausted, d, "unauthenticated calls from %s over the limit of %g/s (burst %d): %s refused, retry in %v",
		caller, s.cfg.UnauthenticatedRate, s.cfg.UnauthenticatedBurst, method, d.Round(time.Millisecond))
}

// retryStatus is a status of code whose details carry a RetryInfo with delay d.
func retryStatus(code codes.Code, d time.Duration, format string, args ...any) error {
	st := status.Newf(code, format, args...)
	withRetry, err := st.WithDetails(&errdetails.RetryInfo{RetryDelay: durationpb.New(d)})
	if err != nil {
		return st.Err()
	}
	return withRetry.Err()
}
