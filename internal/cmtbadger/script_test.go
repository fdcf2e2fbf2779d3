package cmtbadger

import (
	"fmt"
	"strings"
	"testing"

	dbm "github.com/cometbft/cometbft-db"
)

// runner plays a script of database commands, one a line, and returns what each
// observed. Words: "-" is a nil key or value, "”" an empty one.
//
//	set K V | del K | get K | has K | fill N     (sets k000..k<N-1> to v000..)
//	iter S E | riter S E                         (lists the range, or "err")
//	batch | bset K V | bdel K | bwrite | bwritesync | bclose
//	prune S E   (deletes the range through a batch fed with iterated keys, as CometBFT's pruning does)
type runner struct {
	db dbm.DB
	b  dbm.Batch
}

func arg(s string) []byte {
	switch s {
	case "-":
		return nil
	case "''":
		return []byte{}
	}
	return []byte(s)
}

func result(err error) string {
	if err != nil {
		return "err"
	}
	return "ok"
}

func (r *runner) run(t *testing.T, script []string) []string {
	t.Helper()
	var out []string
	for _, line := range script {
		w := strings.Fields(line)
		for len(w) < 3 {
			w = append(w, "-")
		}
		out = append(out, line+" -> "+r.step(t, w[0], w[1], w[2]))
	}
	return out
}

func (r *runner) step(t *testing.T, cmd, a, b string) string {
	t.Helper()
	switch cmd {
	case "set":
		return result(r.db.Set(arg(a), arg(b)))
	case "setsync":
		return result(r.db.SetSync(arg(a), arg(b)))
	case "del":
		return result(r.db.Delete(arg(a)))
	case "delsync":
		return result(r.db.DeleteSync(arg(a)))
	case "get":
		v, err := r.db.Get(arg(a))
		if err != nil {
			return "err"
		}
		if v == nil {
			return "nil"
		}
		return fmt.Sprintf("%q", v)
	case "has":
		ok, err := r.db.Has(arg(a))
		if err != nil {
			return "err"
		}
		return fmt.Sprint(ok)
	case "fill":
		var n int
		fmt.Sscan(a, &n)
		for i := range n {
			if err := r.db.Set(fmt.Appendf(nil, "k%03d", i), fmt.Appendf(nil, "v%03d", i)); err != nil {
				return "err"
			}
		}
		return "ok"
	case "iter", "riter":
		return r.scan(cmd == "riter", arg(a), arg(b))
	case "prune":
		return r.prune(arg(a), arg(b))
	}
	return r.batchStep(t, cmd, a, b)
}

func (r *runner) batchStep(t *testing.T, cmd, a, b string) string {
	t.Helper()
	switch cmd {
	case "batch":
		r.b = r.db.NewBatch()
		return "ok"
	case "bset":
		return result(r.b.Set(arg(a), arg(b)))
	case "bdel":
		return result(r.b.Delete(arg(a)))
	case "bwrite":
		return result(r.b.Write())
	case "bwritesync":
		return result(r.b.WriteSync())
	case "bclose":
		return result(r.b.Close())
	}
	t.Fatalf("unknown command %q", cmd)
	return ""
}

func (r *runner) scan(reverse bool, start, end []byte) string {
	var (
		it  dbm.Iterator
		err error
	)
	if reverse {
		it, err = r.db.ReverseIterator(start, end)
	} else {
		it, err = r.db.Iterator(start, end)
	}
	if err != nil {
		return "err"
	}
	defer it.Close()
	var kvs []string
	for ; it.Valid(); it.Next() {
		kvs = append(kvs, fmt.Sprintf("%s=%s", it.Key(), it.Value()))
	}
	if it.Error() != nil {
		return "iterator error"
	}
	return "[" + strings.Join(kvs, " ") + "]"
}

func (r *runner) prune(start, end []byte) string {
	it, err := r.db.Iterator(start, end)
	if err != nil {
		return "err"
	}
	b := r.db.NewBatch()
	defer b.Close()
	n := 0
	for ; it.Valid(); it.Next() {
		if err := b.Delete(it.Key()); err != nil {
			return "err"
		}
		n++
	}
	it.Close()
	if err := b.Write(); err != nil {
		return "err"
	}
	return fmt.Sprint(n)
}
