package ledger

import "fmt"

// PackageError reports an invalid package file: where (line and column, and the path of
// keys leading there) and what is wrong.
type PackageError struct {
	Pos  Position
	Path string // e.g. templates.Iou.choices.Split.body[0].args.amount
	Msg  string
}

func (e *PackageError) Error() string {
	where := fmt.Sprintf("line %d, column %d", e.Pos.Line, e.Pos.Column)
	if e.Path != "" {
		where += ": " + e.Path
	}
	return fmt.Sprintf("%s: %s: %s", ErrInvalidPackage, where, e.Msg)
}

// Unwrap returns ErrInvalidPackage.
func (e *PackageError) Unwrap() error { return ErrInvalidPackage }
