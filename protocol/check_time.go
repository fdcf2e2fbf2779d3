package protocol

import "time"

// CheckLedgerTime checks that ledgerTime lies within tolerance of sequencingTime (both
// bounds inclusive); otherwise it returns a *LedgerTimeError.
func CheckLedgerTime(ledgerTime, sequencingTime time.Time, tolerance time.Duration) error {
	if ledgerTime.Before(sequencingTime.Add(-tolerance)) || ledgerTime.After(sequencingTime.Add(tolerance)) {
		return &LedgerTimeError{LedgerTime: ledgerTime, SequencingTime: sequencingTime, Tolerance: tolerance}
	}
	return nil
}
