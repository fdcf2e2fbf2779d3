// Package keystore keeps a member's private keys on disk encrypted under a wrapper key
// (envelope encryption): every private key is encrypted with AES-256-GCM under the
// wrapper, and the wrapper itself comes from a passphrase (scrypt) or a key file, or
// later from a cloud KMS behind the same KeyWrapper interface.
//
// Keys are never deleted: rotating a purpose marks the previous key superseded and adds
// a new active one, so that payloads sealed to an old encryption key still open.
package keystore
