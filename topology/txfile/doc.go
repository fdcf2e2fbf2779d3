// Package txfile is the file format operators pass topology transactions around in
// (docs/topology-cli.md): `cometsync topology propose` writes one, `topology sign` adds
// signatures to it, `topology submit` and `import` read it, `topology export` writes the
// current state's transactions to it.
//
// A file is a JSON document
//
//	{"format": "cometsync.topology.transactions", "version": 1,
//	 "transactions": [{"signed": "<base64 SignedTopologyTransaction>", ...}]}
//
// where "signed" is the protobuf encoding of cometsync.topology.v1.SignedTopologyTransaction
// (topology.SignedTransaction.Marshal), possibly with no signatures yet (a proposal not
// signed by anyone). The other fields of an entry (hash, summary, signers) are
// informational: written for the humans passing the file around and ignored when
// reading. A file holding the raw protobuf bytes of one SignedTopologyTransaction is read
// as well.
//
// Decode never panics and bounds what it accepts (MaxFileSize); its errors wrap
// topology.ErrMalformed for undecodable content, ErrUnsupportedFormat for another
// format or version, and the topology sentinels (ErrInvalidMapping, ErrInvalidSignature)
// for transactions that decode but do not validate.
package txfile
