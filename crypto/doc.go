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
//
// Payloads are encrypted with HPKE (RFC 9180, Go's crypto/hpke): an encryption key pair
// per member, by default with the post-quantum hybrid KEM ML-KEM-768+X25519 (DHKEM(X25519)
// is supported), HKDF-SHA256 and ChaCha20-Poly1305. A view is encrypted once under an
// AES-256-GCM key derived with HKDF from a random ViewSeed, and the seed is sealed to each
// recipient's public key (Seal/Open, EncryptView/DecryptView).
package crypto
