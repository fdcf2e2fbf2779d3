package mediator

import (
	"log/slog"
	"slices"

	"github.com/cometsync/cometsync/protocol"
)

// Config configures a Core.
type Config struct {
	// Mediator is the member id of this mediator (MED::...); it signs the results.
	Mediator string
	// SynchronizerID, when set, must match the requests' and responses'.
	SynchronizerID string
	// MediatorGroup is the group this mediator serves; requests for another are malformed.
	MediatorGroup uint32
	// Topology answers hosting questions at a request's time.
	Topology Topology
	// Verifier checks the participants' signatures on responses.
	Verifier protocol.Verifier
	// Logger receives debug logs; nil discards them.
	Logger *slog.Logger
}

// Validate names the first missing field.
func (c Config) Validate() error {
	switch {
	case c.Mediator == "":
		return &ConfigError{Field: "Mediator", Reason: "empty"}
	case c.Topology == nil:
		return &ConfigError{Field: "Topology", Reason: "nil"}
	case c.Verifier == nil:
		return &ConfigError{Field: "Verifier", Reason: "nil"}
	}
	return nil
}

// Core is the mediator's aggregation state machine. It is deterministic and not safe for
// concurrent use: the loop feeds it events with Step in delivery order and collects its
// outputs with Ready and Advance.
type Core struct {
	cfg       Config
	log       *slog.Logger
	observed  bool
	last      int64
	requests  map[int64]*request
	deadlines deadlineQueue
	seq       uint64
	ready     Ready
	changes   changeSet
}

// NewCore returns a core with no requests.
func NewCore(cfg Config) (*Core, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return newCore(cfg, log), nil
}

func newCore(cfg Config, log *slog.Logger) *Core {
	return &Core{cfg: cfg, log: log, requests: map[int64]*request{}, changes: newChangeSet()}
}

// Step processes one event. It first times out every undecided request whose decision
// time is before the event's timestamp, then handles the event. Bad protocol input (a
// malformed request, an invalid response) never fails Step: it is rejected or ignored and
// recorded. Step fails, leaving the core unchanged, only when the event breaks the loop's
// contract: nil or unknown event, a missing field, or a timestamp below one observed.
func (c *Core) Step(ev Event) error {
	if err := c.check(ev); err != nil {
		return err
	}
	ts := ev.Timestamp()
	c.observe(ts)
	switch e := ev.(type) {
	case RequestEvent:
		c.onRequest(e)
	case ResponseEvent:
		c.onResponse(e)
	}
	return nil
}

func (c *Core) check(ev Event) error {
	switch e := ev.(type) {
	case nil:
		return &EventError{Reason: "nil event"}
	case RequestEvent:
		if e.DecisionTimeout <= 0 {
			return &EventError{Reason: "request without a positive decision timeout"}
		}
	case ResponseEvent, TimeEvent:
	default:
		return &EventError{Reason: "unknown event type"}
	}
	if c.observed && ev.Timestamp() < c.last {
		return &TimeRegressionError{Last: c.last, Got: ev.Timestamp()}
	}
	return nil
}

// observe moves time to ts: requests whose decision time is before ts time out, in
// order of decision time and request id, and decided ones are forgotten.
func (c *Core) observe(ts int64) {
	c.observed, c.last = true, ts
	for {
		d, ok := c.deadlines.popBefore(ts)
		if !ok {
			return
		}
		r := c.requests[d.id]
		delete(c.requests, d.id)
		if !r.decided {
			c.decide(r, ts, r.timeoutResult())
		}
		c.changes.forget(d.id)
	}
}

// LastTimestamp returns the last observed timestamp, and false before the first event.
func (c *Core) LastTimestamp() (int64, bool) { return c.last, c.observed }

// NextDeadline returns the earliest decision time of an undecided request, and false when
// no request is undecided. An event after it times the request out.
func (c *Core) NextDeadline() (int64, bool) {
	for _, d := range c.deadlines.sorted() {
		if r := c.requests[d.id]; r != nil && !r.decided {
			return d.at, true
		}
	}
	return 0, false
}

// Pending returns the ids of the undecided requests, ascending.
func (c *Core) Pending() []int64 {
	var ids []int64
	for _, d := range c.deadlines.sorted() {
		if r := c.requests[d.id]; r != nil && !r.decided {
			ids = append(ids, d.id)
		}
	}
	slices.Sort(ids)
	return ids
}

// PendingCount returns how many requests are undecided.
func (c *Core) PendingCount() int {
	n := 0
	for _, r := range c.requests {
		if !r.decided {
			n++
		}
	}
	return n
}
