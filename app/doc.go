// Package app assembles a sequencer node: CometBFT consensus running in-process with the
// cometsync ABCI application, the gRPC sequencer API (package app/api) and metrics.
//
// A node lives in a home directory:
//
//	config/config.toml          CometBFT configuration
//	config/cometsync.toml       cometsync configuration (API address, metrics, logging)
//	config/genesis.json         the chain's genesis; app_state holds the synchronizer
//	config/node_key.json        CometBFT p2p key
//	config/priv_validator_key.json
//	config/sequencer_key.json   the signing key of this node's sequencer member
//	config/namespace_key.json   the synchronizer owner's namespace key (on the node that
//	                            created the synchronizer)
//	data/                       CometBFT block store and state (badger)
//	data/app/                   the application state (badger)
//
// InitHome writes a home; Open loads one and returns a Node that Start runs.
package app
