// Package member is the I/O loop every synchronizer member runs around its deterministic
// core: the participant around participant/engine, the mediator around the mediator
// core. It is the one place that knows how a member follows the chain.
//
// # The loop
//
// Start connects through the driver, downloads the topology state, lets the member set
// up its core and store (Setup), sends a catch-up marker (a time proof to itself) and
// subscribes from the counter the member's store says comes next. For each event:
//
//  1. Open (concurrently with earlier events: decryption) — Handler.Open.
//  2. In stream order, under the lock: the topology state follows the event; the core
//     applies it (Handler.Apply) and returns the messages it decided and its state change;
//     the event's receipt, if it is one, clears an outbox entry; the Store commits all of
//     it atomically with the counter (Store.Commit); the member's own waiters are woken
//     (Applied.Then).
//  3. Once live (an event at or past the start height, the catch-up marker's receipt at
//     the latest), the outbox is sent in message id order (Handler.Seal), each message
//     once per process; the driver resubmits until the receipt.
//
// A second goroutine asks for a time proof when the wall clock passes the core's next
// deadline and no event came (driver.Client.WatchDeadlines): time only moves through
// sequenced events, so a request whose confirmers are silent times out at the next one.
//
// # Restart and replay
//
// Message ids are deterministic, so a member that rebuilds from counter 0 (an empty
// store) decides the same messages again and finds most receipts further on in its
// stream; the outbox keeps only what was never sequenced, and a resend of a message
// that was is deduplicated by the sequencer. A member restarted over its store resumes
// from the next counter with the outbox it committed.
//
// The wall clock decides only when to ask for a time proof and whether a message is too
// late to send (Handler.Seal); nothing replay must reproduce reads it.
package member
