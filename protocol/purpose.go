package protocol

import "github.com/cometsync/cometsync/crypto"

// Hash purposes of the transaction protocol's Merkle tree. They extend the numbering of
// packages crypto (below 110) and ledger (110–149) and are never reused for another use.
const (
	// PurposeViewCommonData prefixes the hash of a view's common data.
	PurposeViewCommonData crypto.Purpose = 150
	// PurposeViewParticipantData prefixes the hash of a view's participant data.
	PurposeViewParticipantData crypto.Purpose = 151
	// PurposeView prefixes a view hash: common data hash, participant data hash and the
	// sub-view hashes.
	PurposeView crypto.Purpose = 152
	// PurposeCommonMetadata prefixes the hash of the transaction's common metadata.
	PurposeCommonMetadata crypto.Purpose = 153
	// PurposeSubmitterMetadata prefixes the hash of the transaction's submitter metadata.
	PurposeSubmitterMetadata crypto.Purpose = 154
	// PurposeRootHash prefixes the root hash of a transaction tree.
	PurposeRootHash crypto.Purpose = 155
)
