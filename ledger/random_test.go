package ledger

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/cometsync/cometsync/internal/testseed"
)

// workload generates random commands over a package set: creates of any template and
// exercises of any choice on active contracts, with arguments drawn from small pools so
// that both successes and every kind of failure occur.
type workload struct {
	r    *rand.Rand
	pkgs *PackageSet
	acs  ContractMap
	ids  []ContractID // every contract id ever seen, active or not, in creation order
}

var partyPool = []Party{bank, registry, alice, bob, carol}

func (w *workload) value(t Type) Value {
	switch t.Kind {
	case KindParty:
		return PartyValue(partyPool[w.r.IntN(len(partyPool))])
	case KindText:
		return TextValue([]string{"USD", "EUR", "ACME shares", ""}[w.r.IntN(4)])
	case KindInt:
		return IntValue(w.r.IntN(7) - 1)
	case KindDecimal:
		return dec([]string{"1.0", "5.5", "100.0", "0.0000000001", "-3.0", "45.25"}[w.r.IntN(6)])
	case KindBool:
		return BoolValue(w.r.IntN(2) == 0)
	case KindTime:
		return TimeFromGo(testTime.Add(time.Duration(w.r.IntN(100)) * time.Hour))
	case KindContractID:
		if len(w.ids) == 0 {
			return ContractIDValue(DeriveContractID(Seed{}, &Contract{}))
		}
		return ContractIDValue(w.ids[w.r.IntN(len(w.ids))])
	case KindList:
		l := ListValue{}
		for range w.r.IntN(3) {
			l = append(l, w.value(*t.Elem))
		}
		return l
	case KindOptional:
		if w.r.IntN(2) == 0 {
			return OptionalValue{}
		}
		return OptionalValue{V: w.value(*t.Elem)}
	}
	panic("unknown kind")
}

func (w *workload) record(fields []Field) Record {
	r := Record{}
	for _, f := range fields {
		r[f.Name] = w.value(f.Type)
	}
	return r
}

func (w *workload) actAs() []Party {
	if w.r.IntN(2) == 0 {
		return partyPool
	}
	return []Party{partyPool[w.r.IntN(len(partyPool))], partyPool[w.r.IntN(len(partyPool))]}
}

func (w *workload) command() Command {
	if len(w.ids) > 0 && w.r.IntN(3) > 0 {
		cid := w.ids[w.r.IntN(len(w.ids))]
		c := w.acs[cid]
		if c != nil {
			ct, _ := w.pkgs.template(nil, c.Template)
			names := sortedKeys(ct.choices)
			choice := names[w.r.IntN(len(names))]
			return ExerciseCommand(w.actAs(), c.Template, cid, choice, w.record(ct.choices[choice].params))
		}
	}
	ids := w.pkgs.IDs()
	pkg := w.pkgs.Package(ids[w.r.IntN(len(ids))])
	tmpl := pkg.Templates[w.r.IntN(len(pkg.Templates))]
	return CreateCommand(w.actAs(), TemplateID{Package: pkg.ID, Name: tmpl.Name}, w.record(tmpl.Fields))
}

// shuffled rebuilds maps in a random insertion order, so that any dependence on Go's map
// iteration order shows up as a difference.
func shuffledRecord(r *rand.Rand, rec Record) Record {
	keys := sortedKeys(rec)
	r.Shuffle(len(keys), func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })
	out := make(Record, len(rec))
	for _, k := range keys {
		out[k] = rec[k]
	}
	return out
}

func shuffledACS(r *rand.Rand, acs ContractMap) ContractMap {
	var cs []*Contract
	for _, id := range sortedIDs(toSet(acs), nil) {
		c := *acs[id]
		c.Arguments = shuffledRecord(r, c.Arguments)
		cs = append(cs, &c)
	}
	r.Shuffle(len(cs), func(i, j int) { cs[i], cs[j] = cs[j], cs[i] })
	return ContractMap{}.Add(cs...)
}

func toSet(acs ContractMap) map[ContractID]bool {
	out := map[ContractID]bool{}
	for id := range acs {
		out[id] = true
	}
	return out
}

func TestRandomInterpretationIsDeterministic(t *testing.T) {
	seed := testseed.Seed(t)
	pkgs := mustSet(t, loadExample(t, "iou.yaml"), loadExample(t, "dvp.yaml"))
	w := &workload{r: rand.New(rand.NewPCG(seed, 1)), pkgs: pkgs, acs: ContractMap{}}
	var ok, failed int
	for step := range 400 {
		cmd := w.command()
		subSeed := seedOf(byte(step))
		tx, err := Interpret(pkgs, cmd, w.acs, testTime, subSeed)
		again := cmd
		again.Arguments = shuffledRecord(w.r, cmd.Arguments)
		tx2, err2 := Interpret(pkgs, again, shuffledACS(w.r, w.acs), testTime, subSeed)
		if fmt.Sprint(err) != fmt.Sprint(err2) {
			t.Fatalf("step %d: errors differ: %v vs %v", step, err, err2)
		}
		if err != nil {
			failed++
			continue
		}
		ok++
		if !bytes.Equal(EncodeTransaction(tx), EncodeTransaction(tx2)) {
			t.Fatalf("step %d: transactions differ", step)
		}
		checkRoundTrip(t, tx)
		checkViews(t, w, cmd, tx)
		eff := tx.Effects()
		for _, id := range eff.Archived {
			delete(w.acs, id)
		}
		for _, c := range eff.Created {
			w.acs[c.ID] = c
		}
		_ = tx.Walk(func(_ NodePath, n *Node) error {
			if n.Kind == NodeCreate {
				w.ids = append(w.ids, n.ContractID)
			}
			return nil
		})
	}
	t.Logf("%d transactions, %d rejected commands", ok, failed)
	if ok < 50 || failed < 50 {
		t.Fatalf("workload is unbalanced: %d ok, %d failed", ok, failed)
	}
}

func checkRoundTrip(t *testing.T, tx *Transaction) {
	t.Helper()
	enc := EncodeTransaction(tx)
	back, err := DecodeTransaction(enc)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	if !bytes.Equal(EncodeTransaction(back), enc) {
		t.Fatal("decode/encode changed the transaction")
	}
}

// checkViews reinterprets every node of tx as a view and checks that it conforms, and that
// a mutated copy of it does not.
func checkViews(t *testing.T, w *workload, cmd Command, tx *Transaction) {
	t.Helper()
	inputs := ContractMap{}
	for id, c := range w.acs {
		inputs[id] = c
	}
	_ = tx.Walk(func(_ NodePath, n *Node) error {
		if n.Kind == NodeCreate {
			inputs.Add(n.Contract())
		}
		return nil
	})
	_ = tx.WalkAuthorizers(cmd.ActAs, func(p NodePath, n *Node, auth PartySet) error {
		got, err := Reinterpret(w.pkgs, n, auth, inputs, testTime)
		if err != nil {
			t.Fatalf("view %s: %v", p, err)
		}
		if !bytes.Equal(EncodeNode(got), EncodeNode(n)) {
			t.Fatalf("view %s: reinterpretation differs", p)
		}
		bad, what := mutate(w.r, n)
		if _, err := Reinterpret(w.pkgs, bad, auth, inputs, testTime); err == nil {
			t.Fatalf("view %s: mutation %q not detected", p, what)
		}
		return nil
	})
}

// mutate returns a copy of n with one random change somewhere in its subtree that
// reinterpretation must detect.
func mutate(r *rand.Rand, n *Node) (*Node, string) {
	cp, err := DecodeNode(EncodeNode(n))
	if err != nil {
		panic(err)
	}
	var all []*Node
	_ = (&Transaction{Roots: []*Node{cp}}).Walk(func(_ NodePath, x *Node) error { all = append(all, x); return nil })
	target := all[r.IntN(len(all))]
	switch r.IntN(5) {
	case 0:
		if target != cp { // a view's own seed is an input to it; its descendants' are checked
			target.Seed[r.IntN(len(target.Seed))] ^= 1
			return cp, "seed"
		}
		target.Signatories = target.Signatories.Union(NewPartySet("Mallory::1220ff"))
		return cp, "signatories"
	case 1:
		target.Actors = target.Actors.Union(NewPartySet("Mallory::1220ff"))
		return cp, "actors"
	case 2:
		target.Observers = target.Observers.Union(NewPartySet("Mallory::1220ff"))
		return cp, "observers"
	case 3:
		if len(target.Children) > 0 {
			target.Children = target.Children[:len(target.Children)-1]
			return cp, "children"
		}
		target.Template.Name += "X"
		return cp, "template"
	default:
		if target.Kind == NodeExercise {
			target.Consuming = !target.Consuming
			return cp, "consuming"
		}
		target.ContractID = DeriveContractID(Seed{1}, &Contract{})
		return cp, "contract id"
	}
}
