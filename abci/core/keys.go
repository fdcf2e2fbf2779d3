package core

import "encoding/binary"

// Key layout of the application state. Every key starts with a one-byte table tag.
//
//	'M'                                  -> AppMeta
//	'G'                                  -> genesis (canonical JSON)
//	'B' ts(8)                            -> StoredBatch
//	'E' member 0x00 last counter(8)      -> EventRefs (entries last-n+1 .. last of one block, n <= 64)
//	'C' member                           -> MemberCounter (next counter)
//	'D' sender 0x00 message id           -> expiry ts(8) of the dedupe entry
//	'X' expiry ts(8) height(8)           -> dedupe keys a block set (each uvarint length + key); expiry is the latest of their max sequencing times
//	'T'                                  -> topology state (topology.State.Marshal)
//	'F' member                           -> MemberTrafficState (traffic control account)
//	'H' height(8)                        -> AppHashInputs of the block (what its app hash hashes)
//	'L' height(8)                        -> the block's event leaves, 32 bytes each, in order (absent: none)
//	'K' member                           -> StoredAcknowledgement (latest accepted acknowledgement)
//	'Q'                                  -> PruningPoint (this node's own, not consensus: see prune.go)
const (
	tagMeta    = 'M'
	tagGenesis = 'G'
	tagBatch   = 'B'
	tagEvent   = 'E'
	tagCounter = 'C'
	tagDedupe  = 'D'
	tagExpiry  = 'X'
	tagTopo    = 'T'
	tagTraffic = 'F'
	tagInputs  = 'H'
	tagLeaves  = 'L'
	tagAck     = 'K'
	tagPruning = 'Q'
)

// KeyAppHashInputs is the key of the app-hash inputs of the block at height.
func KeyAppHashInputs(height int64) []byte {
	return binary.BigEndian.AppendUint64([]byte{tagInputs}, uint64(height))
}

// KeyBlockLeaves is the key of the event leaves of the block at height.
func KeyBlockLeaves(height int64) []byte {
	return binary.BigEndian.AppendUint64([]byte{tagLeaves}, uint64(height))
}

// KeyTraffic is the key of member's traffic account.
func KeyTraffic(member string) []byte { return append([]byte{tagTraffic}, member...) }

// KeyTopology is the key of the on-chain topology state.
func KeyTopology() []byte { return []byte{tagTopo} }

// KeyMeta is the key of the application head.
func KeyMeta() []byte { return []byte{tagMeta} }

// KeyGenesis is the key of the stored genesis.
func KeyGenesis() []byte { return []byte{tagGenesis} }

// KeyBatch is the key of the batch sequenced at ts.
func KeyBatch(ts int64) []byte { return binary.BigEndian.AppendUint64([]byte{tagBatch}, uint64(ts)) }

// PrefixEvents is the prefix of a member's stream.
func PrefixEvents(member string) []byte {
	k := append([]byte{tagEvent}, member...)
	return append(k, 0)
}

// KeyEvent is the key of the record of member's stream whose last entry has counter.
func KeyEvent(member string, counter int64) []byte {
	return binary.BigEndian.AppendUint64(PrefixEvents(member), uint64(counter))
}

// KeyCounter is the key of a member's next counter.
func KeyCounter(member string) []byte { return append([]byte{tagCounter}, member...) }

func keyDedupe(sender, msgID string) []byte {
	k := append([]byte{tagDedupe}, sender...)
	k = append(k, 0)
	return append(k, msgID...)
}

// keyExpiryRecord is the key of the expiry record of the block at height whose dedupe
// entries expire at the latest at expiry.
func keyExpiryRecord(expiry, height int64) []byte {
	k := binary.BigEndian.AppendUint64([]byte{tagExpiry}, uint64(expiry))
	return binary.BigEndian.AppendUint64(k, uint64(height))
}
