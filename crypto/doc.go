// Package crypto holds cometsync's keys and hashes: Ed25519 signing keys, key
// fingerprints, purpose-prefixed hashing and the unique identifiers of members and
// parties.
//
// Every hash in the protocol is SHA-256 over a 4-byte big-endian purpose followed by the
// hashed fields; variable-length fields are prefixed by their 4-byte length (see Hasher).
// A signature is always made over such a hash, so a signature made for one purpose can
// never be replayed for another.
//
// A fingerprint identifies a public key: "1220" followed by the hex SHA-256 of
// purpose 12 and the key bytes. Unique identifiers have the form name::namespace, where the
// namespace is a fingerprint; members prefix a kind: PAR::, MED::, SEQ::.
package crypto
