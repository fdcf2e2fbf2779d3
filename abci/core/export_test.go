package core

// Exported for the black-box tests in core_test.
var (
	KeyDedupeForTest       = keyDedupe
	KeyExpiryRecordForTest = keyExpiryRecord
)
