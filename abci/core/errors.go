package core

import (
	"fmt"

	"github.com/cometsync/cometsync/seqapi"
)

// SubmissionError says why a submission is refused.
type SubmissionError struct {
	Code   seqapi.Code
	Reason string
}

func (e *SubmissionError) Error() string { return e.Code.String() + ": " + e.Reason }

func reject(c seqapi.Code, format string, args ...any) *SubmissionError {
	return &SubmissionError{Code: c, Reason: fmt.Sprintf(format, args...)}
}
