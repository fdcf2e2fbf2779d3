package crypto

// Hash purposes of verified reads (package seqproof, range 140–149). They are never
// reused.
const (
	// PurposeStreamProof prefixes the hashes a member recomputes to verify its stream
	// against the app hash: an envelope's hash, an event leaf and a counter leaf, told
	// apart by a tag that follows the purpose (see package seqproof).
	PurposeStreamProof Purpose = 140
)
