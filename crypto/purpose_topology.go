package crypto

// Hash purposes of the topology package (range 120–139). They are never reused.
const (
	// PurposeTopologyTransaction prefixes the hash of a canonical TopologyTransaction;
	// signers sign that hash with PurposeTopologySignature.
	PurposeTopologyTransaction Purpose = 120
	// PurposeTopologySnapshotRoot prefixes the root hash of a topology snapshot.
	PurposeTopologySnapshotRoot Purpose = 121
	// PurposeTopologyStateHash prefixes the hash of a serialized topology state.
	PurposeTopologyStateHash Purpose = 122
)
