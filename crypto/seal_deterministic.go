package crypto

import (
	"crypto/ecdh"
	"crypto/hkdf"
	"crypto/mlkem"
	"crypto/mlkem/mlkemtest"
	"crypto/sha256"
	"crypto/sha3"
	"encoding/binary"
	"fmt"

	"golang.org/x/crypto/chacha20poly1305"
)

// MinSealRandomness is the least number of randomness bytes SealDeterministic takes.
const MinSealRandomness = 32

// HPKE (RFC 9180) identifiers of the suites Seal uses.
const (
	kemX25519         uint16 = 0x0020 // DHKEM(X25519, HKDF-SHA256)
	kemMLKEM768X25519 uint16 = 0x647a // MLKEM768-X25519 (X-Wing), draft-ietf-hpke-pq
	kdfHKDFSHA256     uint16 = 0x0001
	aeadChaCha20      uint16 = 0x0003
)

// xwingLabel is the X-Wing combiner's domain separator, the ASCII art `\./` `/^\`.
const xwingLabel = "\\.//^\\"

const x25519Size = 32

// SealDeterministic encrypts plaintext to p like Seal, with every random choice of the
// KEM taken from randomness: the same (p, info, plaintext, randomness) always give the
// same bytes. The output is Seal's format (HPKE base mode, single shot: enc || ciphertext),
// so Open decrypts it unchanged.
//
// randomness must be at least MinSealRandomness bytes, secret and uniformly random to
// everyone but those allowed to recompute the ciphertext, and never reused for another
// (p, info, plaintext): under those conditions the result is as confidential as Seal's.
// Anyone who knows randomness can recompute the ciphertext and so check it.
func SealDeterministic(p EncryptionPublicKey, info, plaintext, randomness []byte) ([]byte, error) {
	if len(randomness) < MinSealRandomness {
		return nil, fmt.Errorf("seal deterministic: %d bytes of randomness, want at least %d", len(randomness), MinSealRandomness)
	}
	kemID, ikmLen, err := p.Scheme.kemParams()
	if err != nil {
		return nil, err
	}
	ikmE, err := encapRandomness(kemID, randomness, ikmLen)
	if err != nil {
		return nil, err
	}
	ss, enc, err := encapDeterministic(p, ikmE)
	if err != nil {
		return nil, err
	}
	key, nonce, err := keySchedule(kemID, ss, info)
	if err != nil {
		return nil, err
	}
	aead, err := chacha20poly1305.New(key)
	if err != nil {
		return nil, err
	}
	// Sequence number 0: the nonce is base_nonce itself.
	return aead.Seal(enc, nonce, plaintext, nil), nil
}

// kemParams returns the HPKE KEM id of s and the length of the encapsulation randomness
// (ikmE) it takes: DeriveKeyPair's ikm for DHKEM, ML-KEM's 32 bytes then X25519's 32 for
// the hybrid (the layout of the draft's test vectors).
func (s EncryptionScheme) kemParams() (uint16, int, error) {
	switch s {
	case SchemeMLKEM768X25519:
		return kemMLKEM768X25519, 64, nil
	case SchemeX25519:
		return kemX25519, 32, nil
	}
	return 0, 0, fmt.Errorf("%w: %q", ErrUnknownScheme, string(s))
}

// encapRandomness expands the caller's randomness into the KEM's ikmE, bound to the KEM.
func encapRandomness(kemID uint16, randomness []byte, n int) ([]byte, error) {
	prk, err := hkdf.Extract(sha256.New, randomness, nil)
	if err != nil {
		return nil, err
	}
	label := binary.BigEndian.AppendUint16([]byte("cometsync/hpke-seal-deterministic/v1/ikmE/"), kemID)
	return hkdf.Expand(sha256.New, prk, string(label), n)
}

// encapDeterministic is the KEM's Encap with its randomness taken from ikmE: the shared
// secret and the encapsulated key enc.
func encapDeterministic(p EncryptionPublicKey, ikmE []byte) (ss, enc []byte, err error) {
	switch p.Scheme {
	case SchemeX25519:
		return encapX25519(p.Key, ikmE)
	case SchemeMLKEM768X25519:
		return encapXWing(p.Key, ikmE)
	}
	return nil, nil, fmt.Errorf("%w: %q", ErrUnknownScheme, string(p.Scheme))
}

// encapX25519 is DHKEM(X25519, HKDF-SHA256).Encap (RFC 9180 section 4.1) with the
// ephemeral key pair DeriveKeyPair(ikmE) (section 7.1.3).
func encapX25519(pkRm, ikmE []byte) (ss, enc []byte, err error) {
	pkR, err := ecdh.X25519().NewPublicKey(pkRm)
	if err != nil {
		return nil, nil, fmt.Errorf("%s public key: %w", SchemeX25519, err)
	}
	sid := kemSuiteID(kemX25519)
	skE, err := deriveX25519(sid, ikmE)
	if err != nil {
		return nil, nil, err
	}
	dh, err := skE.ECDH(pkR)
	if err != nil {
		return nil, nil, fmt.Errorf("%s encapsulation: %w", SchemeX25519, err)
	}
	enc = skE.PublicKey().Bytes()
	kemContext := append(append([]byte{}, enc...), pkR.Bytes()...)
	eaePRK, err := labeledExtract(sid, nil, "eae_prk", dh)
	if err != nil {
		return nil, nil, err
	}
	ss, err = labeledExpand(sid, eaePRK, "shared_secret", kemContext, 32)
	if err != nil {
		return nil, nil, err
	}
	return ss, enc, nil
}

// deriveX25519 is DHKEM(X25519) DeriveKeyPair (RFC 9180 section 7.1.3).
func deriveX25519(sid, ikm []byte) (*ecdh.PrivateKey, error) {
	prk, err := labeledExtract(sid, nil, "dkp_prk", ikm)
	if err != nil {
		return nil, err
	}
	sk, err := labeledExpand(sid, prk, "sk", nil, x25519Size)
	if err != nil {
		return nil, err
	}
	return ecdh.X25519().NewPrivateKey(sk)
}

// encapXWing is MLKEM768-X25519 (X-Wing) Encap: ML-KEM-768 encapsulation with the
// randomness ikmE[:32], an X25519 exchange with the ephemeral private key ikmE[32:64],
// and the combiner SHA3-256(ssPQ || ssT || ctT || pkT || label); enc is ctPQ || ctT.
// The recipient key is the ML-KEM encapsulation key followed by the X25519 point.
func encapXWing(pkRm, ikmE []byte) (ss, enc []byte, err error) {
	if len(pkRm) != mlkem.EncapsulationKeySize768+x25519Size {
		return nil, nil, fmt.Errorf("%s public key: %d bytes", SchemeMLKEM768X25519, len(pkRm))
	}
	ek, err := mlkem.NewEncapsulationKey768(pkRm[:mlkem.EncapsulationKeySize768])
	if err != nil {
		return nil, nil, fmt.Errorf("%s public key: %w", SchemeMLKEM768X25519, err)
	}
	pkT, err := ecdh.X25519().NewPublicKey(pkRm[mlkem.EncapsulationKeySize768:])
	if err != nil {
		return nil, nil, fmt.Errorf("%s public key: %w", SchemeMLKEM768X25519, err)
	}
	// mlkemtest.Encapsulate768 is FIPS 203 ML-KEM.Encaps_internal, the exact algorithm
	// that mlkem's Encapsulate runs after drawing its 32 random bytes. Its documentation
	// aims it at known-answer tests, but with secret uniform randomness, never reused,
	// it is exactly as secure as Encapsulate.
	ssPQ, ctPQ, err := mlkemtest.Encapsulate768(ek, ikmE[:32])
	if err != nil {
		return nil, nil, err
	}
	skE, err := ecdh.X25519().NewPrivateKey(ikmE[32:64])
	if err != nil {
		return nil, nil, err
	}
	ssT, err := skE.ECDH(pkT)
	if err != nil {
		return nil, nil, fmt.Errorf("%s encapsulation: %w", SchemeMLKEM768X25519, err)
	}
	ctT := skE.PublicKey().Bytes()
	h := sha3.New256()
	for _, b := range [][]byte{ssPQ, ssT, ctT, pkT.Bytes(), []byte(xwingLabel)} {
		h.Write(b)
	}
	return h.Sum(nil), append(ctPQ, ctT...), nil
}

// keySchedule is RFC 9180 KeySchedule (section 5.1) in base mode for the suite (kemID,
// HKDF-SHA256, ChaCha20-Poly1305): the AEAD key and base nonce.
func keySchedule(kemID uint16, ss, info []byte) (key, baseNonce []byte, err error) {
	sid := hpkeSuiteID(kemID)
	pskIDHash, err := labeledExtract(sid, nil, "psk_id_hash", nil) // empty psk_id
	if err != nil {
		return nil, nil, err
	}
	infoHash, err := labeledExtract(sid, nil, "info_hash", info)
	if err != nil {
		return nil, nil, err
	}
	ksContext := append(append([]byte{0}, pskIDHash...), infoHash...) // mode_base
	secret, err := labeledExtract(sid, ss, "secret", nil)             // empty psk
	if err != nil {
		return nil, nil, err
	}
	if key, err = labeledExpand(sid, secret, "key", ksContext, chacha20poly1305.KeySize); err != nil {
		return nil, nil, err
	}
	if baseNonce, err = labeledExpand(sid, secret, "base_nonce", ksContext, chacha20poly1305.NonceSize); err != nil {
		return nil, nil, err
	}
	return key, baseNonce, nil
}

func kemSuiteID(kemID uint16) []byte {
	return binary.BigEndian.AppendUint16([]byte("KEM"), kemID)
}

func hpkeSuiteID(kemID uint16) []byte {
	sid := binary.BigEndian.AppendUint16([]byte("HPKE"), kemID)
	sid = binary.BigEndian.AppendUint16(sid, kdfHKDFSHA256)
	return binary.BigEndian.AppendUint16(sid, aeadChaCha20)
}

// labeledExtract is RFC 9180 LabeledExtract over HKDF-SHA256.
func labeledExtract(suiteID, salt []byte, label string, ikm []byte) ([]byte, error) {
	in := make([]byte, 0, 7+len(suiteID)+len(label)+len(ikm))
	in = append(in, "HPKE-v1"...)
	in = append(in, suiteID...)
	in = append(in, label...)
	in = append(in, ikm...)
	return hkdf.Extract(sha256.New, in, salt)
}

// labeledExpand is RFC 9180 LabeledExpand over HKDF-SHA256.
func labeledExpand(suiteID, prk []byte, label string, info []byte, n uint16) ([]byte, error) {
	in := binary.BigEndian.AppendUint16(make([]byte, 0, 9+len(suiteID)+len(label)+len(info)), n)
	in = append(in, "HPKE-v1"...)
	in = append(in, suiteID...)
	in = append(in, label...)
	in = append(in, info...)
	return hkdf.Expand(sha256.New, prk, string(in), int(n))
}
