// Package store is the mediator's badger database: the next counter of its stream, the
// outbox of signed verdicts without a receipt, the checkpoint of its core (mediator.Meta
// and one mediator.RequestState per request held) and its audit log, all as of the last
// event applied. It implements member.Store for the mediator's runtime, so a restarted
// mediator resumes from its next counter instead of replaying its stream from 0.
//
// # Use
//
//	s, _ := store.Open(dir, logger)   // "" for an in-memory database
//	_ = s.Bind(store.Identity{Mediator: id, SynchronizerID: sync})
//	st, _ := s.Load()                 // empty database: Next 0, empty checkpoint
//	core, _ := mediator.Restore(cfg, st.Core)
//	pos := st.Position()              // for member.Setup
//	// per event, after the core stepped it: the runtime calls
//	_ = s.Commit(member.Step[store.Verdict, store.Change]{Counter: n, OutboxAdd: ..., OutboxDel: ...,
//		State: store.ChangeOf(core.Meta(), core.Ready())})
//
// # Model
//
// Each Commit is one badger transaction: the counter, the outbox additions and deletions
// (keyed by message id), the core's Meta, the request states Changed (upserted) and
// Forgotten (deleted), and the audit records appended under consecutive indices. The
// database therefore always holds the state after some prefix of the stream, and its
// requests are exactly the Checkpoint of a core that stepped that prefix (the Changed and
// Forgotten contract of mediator.Ready). Commit refuses a counter that is not above the
// last committed one (ErrCounterRegression).
//
// Bind ties the database to one mediator on one synchronizer: the first Bind records the
// identity, a later one with another fails (ErrWrongMediator), so that two mediators' or
// synchronizers' states never mix.
//
// Protobuf messages (verdicts, records) are stored as their Marshal bytes; the rest as
// JSON. A value that does not decode makes Load or Records fail with ErrCorrupt naming
// the key, never panic. The chain stays the golden source: an empty database is rebuilt
// by replaying the stream from counter 0.
package store
