package mediator

// Event is an input of the core: something the sequencer delivered to the mediator at a
// sequencing timestamp (microseconds). Events are stepped in delivery order, so their
// timestamps never decrease. The implementations are RequestEvent, ResponseEvent and
// TimeEvent, passed by value.
type Event interface {
	// Timestamp returns the sequencing timestamp.
	Timestamp() int64
	isEvent()
}

// RequestEvent is a confirmation request: the informee tree the submitter encrypted to
// the mediator (decrypted by the loop) and the root hash messages of the same batch.
type RequestEvent struct {
	// TS is the sequencing timestamp; it becomes the request id.
	TS int64
	// Sender is the member that sent the batch, as the sequencer authenticated it; it
	// must be the submitting participant of the request's metadata. Empty skips the
	// check (tests of the aggregation alone).
	Sender string
	// InformeeTree is a serialized mediatorpb.InformeeTree.
	InformeeTree []byte
	// RootHashMessages are the batch's root hash messages addressed to the mediator.
	RootHashMessages []RootHashMessage
	// DecisionTimeout (microseconds, > 0) is the synchronizer parameter valid at TS.
	DecisionTimeout int64
}

// RootHashMessage is a root hash message as the mediator sees it: the announced root hash
// and the participants among the envelope's recipients (the mediator left out).
type RootHashMessage struct {
	RootHash   []byte
	Recipients []string
}

// ResponseEvent is a confirmation response.
type ResponseEvent struct {
	TS int64
	// Sender is the member that sent the batch, as the sequencer authenticated it.
	Sender string
	// Signed is a serialized mediatorpb.SignedConfirmationResponse.
	Signed []byte
}

// TimeEvent is the observation of a timestamp with nothing for the core in it: any other
// event delivered to the mediator, such as the time proof it requested.
type TimeEvent struct {
	TS int64
}

// Timestamp implements Event.
func (e RequestEvent) Timestamp() int64 { return e.TS }

// Timestamp implements Event.
func (e ResponseEvent) Timestamp() int64 { return e.TS }

// Timestamp implements Event.
func (e TimeEvent) Timestamp() int64 { return e.TS }

func (RequestEvent) isEvent()  {}
func (ResponseEvent) isEvent() {}
func (TimeEvent) isEvent()     {}
