package ledger

import (
	"errors"
	"fmt"
	"math/big"
	"strings"
)

// DecimalScale is the number of fractional digits of a Decimal.
const DecimalScale = 10

// DecimalPrecision is the maximum number of significant digits of a Decimal (as Daml's
// Numeric 10: 28 integral and 10 fractional digits).
const DecimalPrecision = 38

// ErrDecimal is returned for malformed decimal literals and for arithmetic that overflows
// or divides by zero.
var ErrDecimal = errors.New("decimal error")

var (
	decimalUnit  = new(big.Int).Exp(big.NewInt(10), big.NewInt(DecimalScale), nil)
	decimalLimit = new(big.Int).Exp(big.NewInt(10), big.NewInt(DecimalPrecision), nil)
)

// Decimal is an exact fixed-point number with DecimalScale fractional digits. The zero
// value is 0. Decimals are immutable: operations return new values.
type Decimal struct {
	scaled *big.Int // value * 10^DecimalScale; nil means zero
}

// NewDecimalFromInt returns the decimal equal to i.
func NewDecimalFromInt(i int64) Decimal {
	return Decimal{scaled: new(big.Int).Mul(big.NewInt(i), decimalUnit)}
}

// ParseDecimal parses -?digits(.digits)? with at most DecimalScale fractional digits. It
// never rounds: more fractional digits are an error.
func ParseDecimal(s string) (Decimal, error) {
	body, neg := strings.CutPrefix(s, "-")
	intPart, frac, hasDot := strings.Cut(body, ".")
	if intPart == "" || !allDigits(intPart) || !allDigits(frac) || (hasDot && frac == "") {
		return Decimal{}, fmt.Errorf("%w: %q is not a decimal (want -?digits[.digits])", ErrDecimal, s)
	}
	if len(frac) > DecimalScale {
		return Decimal{}, fmt.Errorf("%w: %q has more than %d fractional digits", ErrDecimal, s, DecimalScale)
	}
	if len(intPart) > DecimalPrecision+1 {
		return Decimal{}, fmt.Errorf("%w: %q out of range", ErrDecimal, s)
	}
	v, _ := new(big.Int).SetString(intPart+frac+strings.Repeat("0", DecimalScale-len(frac)), 10)
	if neg {
		v.Neg(v)
	}
	return checkDecimal(v)
}

// MustParseDecimal is ParseDecimal for constants in tests and examples; it panics on error.
func MustParseDecimal(s string) Decimal {
	d, err := ParseDecimal(s)
	if err != nil {
		panic(err)
	}
	return d
}

func allDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func checkDecimal(v *big.Int) (Decimal, error) {
	if new(big.Int).Abs(v).Cmp(decimalLimit) >= 0 {
		return Decimal{}, fmt.Errorf("%w: overflow (more than %d digits)", ErrDecimal, DecimalPrecision)
	}
	return Decimal{scaled: v}, nil
}

func (d Decimal) big() *big.Int {
	if d.scaled == nil {
		return new(big.Int)
	}
	return d.scaled
}

// String returns the canonical form: no leading zeros, no trailing fractional zeros, and
// at least one fractional digit ("10.0", "-0.25").
func (d Decimal) String() string {
	abs := new(big.Int).Abs(d.big())
	q, r := new(big.Int).QuoRem(abs, decimalUnit, new(big.Int))
	frac := fmt.Sprintf("%0*s", DecimalScale, r.String())
	frac = strings.TrimRight(frac, "0")
	if frac == "" {
		frac = "0"
	}
	sign := ""
	if d.big().Sign() < 0 {
		sign = "-"
	}
	return sign + q.String() + "." + frac
}

// Cmp compares d and o and returns -1, 0 or +1.
func (d Decimal) Cmp(o Decimal) int { return d.big().Cmp(o.big()) }

// Sign returns -1, 0 or +1.
func (d Decimal) Sign() int { return d.big().Sign() }

// Add returns d + o.
func (d Decimal) Add(o Decimal) (Decimal, error) {
	return checkDecimal(new(big.Int).Add(d.big(), o.big()))
}

// Sub returns d - o.
func (d Decimal) Sub(o Decimal) (Decimal, error) {
	return checkDecimal(new(big.Int).Sub(d.big(), o.big()))
}

// Neg returns -d.
func (d Decimal) Neg() Decimal { return Decimal{scaled: new(big.Int).Neg(d.big())} }

// Mul returns d * o rounded half-even to DecimalScale digits.
func (d Decimal) Mul(o Decimal) (Decimal, error) {
	p := new(big.Int).Mul(d.big(), o.big())
	return checkDecimal(divRoundHalfEven(p, decimalUnit))
}

// Quo returns d / o rounded half-even to DecimalScale digits.
func (d Decimal) Quo(o Decimal) (Decimal, error) {
	if o.Sign() == 0 {
		return Decimal{}, fmt.Errorf("%w: division by zero", ErrDecimal)
	}
	n := new(big.Int).Mul(d.big(), decimalUnit)
	return checkDecimal(divRoundHalfEven(n, o.big()))
}

// divRoundHalfEven returns n/m rounded to the nearest integer, ties to even.
func divRoundHalfEven(n, m *big.Int) *big.Int {
	q, r := new(big.Int).QuoRem(n, m, new(big.Int))
	twice := new(big.Int).Abs(r)
	twice.Lsh(twice, 1)
	c := twice.Cmp(new(big.Int).Abs(m))
	if c > 0 || (c == 0 && q.Bit(0) == 1) {
		if (n.Sign() < 0) != (m.Sign() < 0) {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	return q
}
