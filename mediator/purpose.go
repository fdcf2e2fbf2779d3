package mediator

import "github.com/cometsync/cometsync/crypto"

// Hash purposes of the mediator protocol (range 140–149). They are never reused.
const (
	// PurposeConfirmationResponse prefixes the hash a participant signs over a serialized
	// ConfirmationResponse.
	PurposeConfirmationResponse crypto.Purpose = 140
	// PurposeTransactionResult prefixes the hash the mediator signs over a serialized
	// TransactionResult.
	PurposeTransactionResult crypto.Purpose = 141
)
