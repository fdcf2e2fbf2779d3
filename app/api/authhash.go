package api

import "github.com/cometsync/cometsync/crypto"

// NonceSize is the size in bytes of a challenge nonce.
const NonceSize = 32

// AuthenticationHash is the hash a member signs (with SignHash) to answer a challenge:
// H(purpose authentication token, nonce, synchronizerID), each field length-prefixed.
// Binding the synchronizer id keeps a signature from being replayed on another
// synchronizer.
func AuthenticationHash(nonce []byte, synchronizerID string) []byte {
	return crypto.NewHasher(crypto.PurposeAuthenticationToken).AddBytes(nonce).AddString(synchronizerID).Sum()
}
