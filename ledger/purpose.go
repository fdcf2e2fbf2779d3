package ledger

import "github.com/cometsync/cometsync/crypto"

// Hash purposes of the ledger model. They extend the numbering of package crypto and are
// never reused for another use.
const (
	// PurposePackageID prefixes the hash of a package's canonical form.
	PurposePackageID crypto.Purpose = 110
	// PurposeContractID prefixes the hash that derives a contract id from a node seed and
	// the contract instance.
	PurposeContractID crypto.Purpose = 111
	// PurposeNodeSeed prefixes the derivation of a node seed from its parent seed.
	PurposeNodeSeed crypto.Purpose = 112
)
