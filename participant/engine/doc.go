// Package engine is the participant's deterministic transaction-protocol core: it takes
// the events of the participant's stream in order and decides what the participant
// sends and commits, without doing any I/O itself (the node loop does).
//
// For a confirmation request addressed to it (a root hash message and the encrypted
// views it is a recipient of), the engine decrypts its views, validates each one
// (package protocol: root hash, metadata, sub-views, informees, recipients, ledger time,
// conformance by reinterpretation), checks consistency (the contracts the views consume
// are active and not locked by an earlier pending request: the first request wins; so
// are the disclosed inputs of which it hosts a stakeholder), locks them, and answers the
// mediator for its hosted confirming parties with one signed approve or reject (a
// disclosed input whose id does not match its content: invalid_disclosed_contract). On
// the mediator's verdict it commits (archives consumed contracts, adds created contracts
// with a hosted stakeholder, publishes an update with the next offset and the created
// contracts' creating seeds, from which the Ledger API's created-event blobs come) or
// discards (releases the locks).
//
// The engine's state (active contracts, locks, pending requests, update offset) is a
// function of the events it was given: replaying the stream from the start rebuilds it.
package engine
