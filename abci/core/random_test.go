package core_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/cometsync/cometsync/abci/core"
	"github.com/cometsync/cometsync/internal/testseed"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
	"github.com/cometsync/cometsync/seqapi"
)

// The randomized test executes random blocks of random submissions (valid and invalid)
// and compares every member's stream with a reference model written from the spec. A
// second pair of replicas runs the same blocks with each block's transactions permuted.
//
// The seeds follow internal/testseed: a failure prints the COMETSYNC_SEED rerun command.

var randomSpecs = []string{"PAR::p0", "PAR::p1", "PAR::p2", "PAR::p3", "MED::m0@0", "MED::m1@0", "MED::m2@1", "SEQ::s0"}

func randomParams() core.Parameters {
	return core.Parameters{MaxRequestSize: 2048, MaxEnvelopes: 3, MaxRecipients: 3, MaxSequencingHorizonMicros: 2000, MaxMessageIDLength: 8}
}

func testSeeds(t *testing.T) []uint64 {
	t.Helper()
	return testseed.Seeds(t, 1, 2, 3, rand.Uint64())
}

// genTx is a generated transaction with what the generator knows about it.
type genTx struct {
	tx   []byte
	req  *pb.SubmissionRequest // nil when undecodable
	drop seqapi.Code           // the unattributable code, or 0
}

// refEvent is an event the reference model expects.
type refEvent struct {
	ts, height int64
	kind       pb.EventKind
	msgID      string
	envs       []*pb.Envelope
	errCode    pb.ErrorCode
}

// refModel is the specification of the sequencer, written independently of the code.
type refModel struct {
	p       core.Parameters
	all     []string
	groups  map[uint32][]string // mediator groups
	seqs    []string
	lastTs  int64
	dedupe  map[[2]string]int64
	streams map[string][]refEvent
}

func newRefModel(f *fixture) *refModel {
	m := &refModel{p: f.g.Parameters, groups: map[uint32][]string{}, dedupe: map[[2]string]int64{}, streams: map[string][]refEvent{}}
	for _, spec := range randomSpecs {
		id := f.id(spec)
		m.all = append(m.all, id)
		switch {
		case strings.HasPrefix(spec, "MED::"):
			_, g, _ := strings.Cut(spec, "@")
			n, _ := strconv.Atoi(g)
			m.groups[uint32(n)] = append(m.groups[uint32(n)], id)
		case strings.HasPrefix(spec, "SEQ::"):
			m.seqs = append(m.seqs, id)
		}
	}
	return m
}

// expand returns the members a recipient names, or a refusal code.
func (m *refModel) expand(r *pb.Recipient) ([]string, seqapi.Code) {
	hasMember, hasGroup := r.Member != "", r.Group != pb.GroupKind_GROUP_KIND_UNSPECIFIED
	if hasMember == hasGroup {
		return nil, seqapi.CodeInvalidBatch
	}
	if hasMember {
		if !slices.Contains(m.all, r.Member) {
			return nil, seqapi.CodeUnknownRecipient
		}
		return []string{r.Member}, seqapi.CodeOK
	}
	var out []string
	switch r.Group {
	case pb.GroupKind_GROUP_KIND_ALL_MEMBERS:
		out = m.all
	case pb.GroupKind_GROUP_KIND_MEDIATOR_GROUP:
		out = m.groups[r.GroupIndex]
	case pb.GroupKind_GROUP_KIND_SEQUENCERS:
		out = m.seqs
	case pb.GroupKind_GROUP_KIND_TOPOLOGY_MANAGER:
		out = m.all
	}
	if len(out) == 0 {
		return nil, seqapi.CodeUnknownRecipient
	}
	return out, seqapi.CodeOK
}

// validate returns the code of an authenticated submission sequenced at ts.
func (m *refModel) validate(req *pb.SubmissionRequest, size int, ts int64) seqapi.Code {
	switch {
	case int64(size) > m.p.MaxRequestSize:
		return seqapi.CodeTooLarge
	case req.MessageId == "" || int64(len(req.MessageId)) > m.p.MaxMessageIDLength:
		return seqapi.CodeInvalidBatch
	case req.MaxSequencingTimeMicros < ts:
		return seqapi.CodeExpired
	case req.MaxSequencingTimeMicros > ts+m.p.MaxSequencingHorizonMicros:
		return seqapi.CodeInvalidBatch
	case int64(len(req.GetBatch().GetEnvelopes())) > m.p.MaxEnvelopes:
		return seqapi.CodeInvalidBatch
	}
	for _, env := range req.GetBatch().GetEnvelopes() {
		if len(env.Recipients) == 0 || int64(len(env.Recipients)) > m.p.MaxRecipients {
			return seqapi.CodeInvalidBatch
		}
		toTopologyManager := false
		for _, r := range env.Recipients {
			if _, c := m.expand(r); c != seqapi.CodeOK {
				return c
			}
			toTopologyManager = toTopologyManager || r.Group == pb.GroupKind_GROUP_KIND_TOPOLOGY_MANAGER
		}
		if toTopologyManager { // the generated contents are never topology transactions
			return seqapi.CodeTopologyRejected
		}
	}
	if exp, ok := m.dedupe[[2]string{req.Sender, req.MessageId}]; ok && exp >= ts {
		return seqapi.CodeDuplicate
	}
	return seqapi.CodeOK
}

func errorCodeOf(c seqapi.Code) pb.ErrorCode {
	switch c {
	case seqapi.CodeExpired:
		return pb.ErrorCode_ERROR_CODE_EXPIRED
	case seqapi.CodeUnknownRecipient:
		return pb.ErrorCode_ERROR_CODE_UNKNOWN_RECIPIENT
	case seqapi.CodeDuplicate:
		return pb.ErrorCode_ERROR_CODE_DUPLICATE_MESSAGE_ID
	case seqapi.CodeTopologyRejected:
		return pb.ErrorCode_ERROR_CODE_TOPOLOGY_REJECTED
	}
	return pb.ErrorCode_ERROR_CODE_INVALID_BATCH
}

// block applies a block to the model and returns the expected code of each transaction.
func (m *refModel) block(height, blockTime int64, txs []genTx) []seqapi.Code {
	var codes []seqapi.Code
	for _, g := range txs {
		if g.drop != seqapi.CodeOK {
			codes = append(codes, g.drop)
			continue
		}
		ts := max(blockTime, m.lastTs+1)
		m.lastTs = ts
		req := g.req
		code := m.validate(req, len(g.tx), ts)
		codes = append(codes, code)
		if code != seqapi.CodeOK {
			m.streams[req.Sender] = append(m.streams[req.Sender], refEvent{
				ts: ts, height: height, kind: pb.EventKind_EVENT_KIND_DELIVER_ERROR, msgID: req.MessageId, errCode: errorCodeOf(code),
			})
			continue
		}
		m.dedupe[[2]string{req.Sender, req.MessageId}] = req.MaxSequencingTimeMicros
		for _, mem := range m.all {
			var envs []*pb.Envelope
			for _, env := range req.GetBatch().GetEnvelopes() {
				if m.addressed(env, mem) {
					envs = append(envs, env)
				}
			}
			if len(envs) == 0 && mem != req.Sender {
				continue
			}
			ev := refEvent{ts: ts, height: height, kind: pb.EventKind_EVENT_KIND_DELIVER, envs: envs}
			if mem == req.Sender {
				ev.msgID = req.MessageId
			}
			m.streams[mem] = append(m.streams[mem], ev)
		}
	}
	return codes
}

func (m *refModel) addressed(env *pb.Envelope, mem string) bool {
	for _, r := range env.Recipients {
		if ms, _ := m.expand(r); slices.Contains(ms, mem) {
			return true
		}
	}
	return false
}

// generator makes random transactions.
type generator struct {
	rng  *rand.Rand
	f    *fixture
	past []genTx
	n    int
}

func (g *generator) pick(ids []string) string { return ids[g.rng.IntN(len(ids))] }

func (g *generator) recipient() *pb.Recipient {
	switch x := g.rng.IntN(100); {
	case x < 55:
		return to(g.pick(g.f.members))
	case x < 58:
		return to(memberID("PAR::stranger"))
	case x < 68:
		return allMembers
	case x < 80:
		return mediators(uint32(g.rng.IntN(3)))
	case x < 90:
		return sequencers
	case x < 93:
		return topoMgr
	case x < 96:
		return &pb.Recipient{Member: g.pick(g.f.members), Group: pb.GroupKind_GROUP_KIND_ALL_MEMBERS}
	case x < 98:
		return &pb.Recipient{}
	default:
		return group(pb.GroupKind(5+g.rng.IntN(3)), 0)
	}
}

func (g *generator) request(blockTime int64) *pb.SubmissionRequest {
	p := g.f.g.Parameters
	req := &pb.SubmissionRequest{Sender: g.pick(g.f.members)}
	switch x := g.rng.IntN(100); {
	case x < 85:
		req.MessageId = string(rune('a' + g.rng.IntN(8)))
	case x < 90:
		req.MessageId = ""
	case x < 95:
		req.MessageId = strings.Repeat("L", int(p.MaxMessageIDLength)+1)
	default:
		req.MessageId = fmt.Sprintf("u%d", g.n)
	}
	switch x := g.rng.IntN(100); {
	case x < 80:
		req.MaxSequencingTimeMicros = blockTime + 20 + g.rng.Int64N(p.MaxSequencingHorizonMicros/2)
	case x < 90:
		req.MaxSequencingTimeMicros = blockTime - g.rng.Int64N(30)
	default:
		req.MaxSequencingTimeMicros = blockTime + p.MaxSequencingHorizonMicros - 5 + g.rng.Int64N(40)
	}
	if g.rng.IntN(30) == 0 {
		return req // no batch
	}
	req.Batch = &pb.Batch{}
	nEnv := g.rng.IntN(int(p.MaxEnvelopes) + 1)
	if g.rng.IntN(20) == 0 {
		nEnv = int(p.MaxEnvelopes) + 1
	}
	for e := range nEnv {
		nRec := 1 + g.rng.IntN(int(p.MaxRecipients))
		switch g.rng.IntN(25) {
		case 0:
			nRec = 0
		case 1:
			nRec = int(p.MaxRecipients) + 1
		}
		env := &pb.Envelope{Content: fmt.Appendf(nil, "tx%d.e%d", g.n, e)}
		if g.rng.IntN(40) == 0 {
			env.Content = append(env.Content, bytes.Repeat([]byte("."), int(p.MaxRequestSize))...)
		}
		for range nRec {
			env.Recipients = append(env.Recipients, g.recipient())
		}
		req.Batch.Envelopes = append(req.Batch.Envelopes, env)
	}
	return req
}

// onlyToTopologyManager reports whether every envelope of a non-empty batch names the
// topology manager as its only recipient (what a non-member may send).
func onlyToTopologyManager(b *pb.Batch) bool {
	if len(b.GetEnvelopes()) == 0 {
		return false
	}
	for _, env := range b.Envelopes {
		if len(env.Recipients) != 1 || env.Recipients[0].GetGroup() != pb.GroupKind_GROUP_KIND_TOPOLOGY_MANAGER {
			return false
		}
	}
	return true
}

func (g *generator) tx(blockTime int64) genTx {
	g.n++
	switch x := g.rng.IntN(100); {
	case x < 4:
		junk := make([]byte, g.rng.IntN(40))
		for i := range junk {
			junk[i] = byte(g.rng.Uint32())
		}
		return genTx{tx: append([]byte{0x07}, junk...), drop: seqapi.CodeMalformed} // field 0 is illegal
	case x < 8:
		req := g.request(blockTime)
		req.Sender = memberID("PAR::stranger")
		drop := seqapi.CodeUnknownSender
		if onlyToTopologyManager(req.Batch) {
			// A non-member may talk to the topology manager to onboard itself, with a key
			// its own OwnerToKeyMapping introduces; these envelopes carry none.
			drop = seqapi.CodeUnknownKey
		}
		return genTx{tx: signWith(testKey("PAR::stranger"), req), req: req, drop: drop}
	case x < 11:
		req := g.request(blockTime)
		other := g.f.keys[g.pick(g.f.members)]
		if other.Fingerprint() == g.f.keys[req.Sender].Fingerprint() {
			return genTx{tx: g.f.sign(req), req: req}
		}
		return genTx{tx: signWith(other, req), req: req, drop: seqapi.CodeUnknownKey}
	case x < 14:
		req := g.request(blockTime)
		var s pb.SignedSubmission
		if err := s.Unmarshal(g.f.sign(req)); err != nil {
			panic(err)
		}
		s.Signature[g.rng.IntN(len(s.Signature))] ^= byte(1 + g.rng.IntN(255))
		return genTx{tx: mustMarshal(&s), req: req, drop: seqapi.CodeBadSignature}
	case x < 20 && len(g.past) > 0:
		return g.past[g.rng.IntN(len(g.past))] // replay
	}
	req := g.request(blockTime)
	return genTx{tx: g.f.sign(req), req: req}
}

type randomRun struct {
	t    *testing.T
	seed uint64
}

func (r randomRun) fatalf(format string, args ...any) {
	r.t.Helper()
	r.t.Fatalf("seed %d: %s\nrerun: %s", r.seed, fmt.Sprintf(format, args...), testseed.Rerun(r.t, r.seed))
}

func TestRandomizedAgainstReference(t *testing.T) {
	for _, seed := range testSeeds(t) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) { runRandomized(t, seed) })
	}
}

func runRandomized(t *testing.T, seed uint64) {
	run := randomRun{t: t, seed: seed}
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	f := newFixture(t, randomParams(), randomSpecs...)
	gen := &generator{rng: rng, f: f}
	a, a2, b := f.newReplica(t), f.newReplica(t), f.newReplica(t)
	refA, refB := newRefModel(f), newRefModel(f)
	blockTime := t0
	var prevHash []byte
	permutedDiffers := false
	for h := int64(1); h <= 100; h++ {
		switch x := rng.IntN(10); {
		case x == 0: // same time
		case x == 1:
			blockTime -= 3 // a late block time: ts still increases
		default:
			blockTime += 1 + rng.Int64N(400)
		}
		txs := make([]genTx, rng.IntN(10))
		for i := range txs {
			txs[i] = gen.tx(blockTime)
		}
		gen.past = append(gen.past, txs...)
		perm := rng.Perm(len(txs))
		permuted := make([]genTx, len(txs))
		for i, j := range perm {
			permuted[i] = txs[j]
		}

		oa := a.exec(blockTime, rawTxs(txs)...)
		if err := sameOutcome(oa, a2.exec(blockTime, rawTxs(txs)...)); err != nil {
			run.fatalf("block %d: two replicas of the same input differ: %v", h, err)
		}
		ob := b.exec(blockTime, rawTxs(permuted)...)
		if !bytes.Equal(oa.Meta.AppHash, ob.Meta.AppHash) {
			permutedDiffers = true
		}
		if bytes.Equal(oa.Meta.AppHash, prevHash) {
			run.fatalf("block %d: app hash unchanged", h)
		}
		prevHash = oa.Meta.AppHash

		checkCodes(run, h, "in order", oa, txs, refA.block(h, blockTime, txs))
		checkCodes(run, h, "permuted", ob, permuted, refB.block(h, blockTime, permuted))
	}
	checkStreams(run, "in order", a, refA)
	checkStreams(run, "permuted", b, refB)
	checkConsistency(run, a, refA)
	checkConsistency(run, b, refB)
	// The replicas agree exactly when the reference says their streams agree.
	if !permutedDiffers && fmt.Sprint(refA.streams) != fmt.Sprint(refB.streams) {
		run.fatalf("permuted blocks gave the same app hash but different streams")
	}
}

func rawTxs(txs []genTx) [][]byte {
	out := make([][]byte, len(txs))
	for i, g := range txs {
		out[i] = g.tx
	}
	return out
}

func checkCodes(run randomRun, h int64, which string, out *core.Outcome, txs []genTx, want []seqapi.Code) {
	run.t.Helper()
	for i, res := range out.TxResults {
		if res.Code != want[i] {
			run.fatalf("block %d (%s) tx %d: code %v (%s), reference says %v", h, which, i, res.Code, res.Log, want[i])
		}
		if res.Code != seqapi.CodeMalformed && res.Sender != txs[i].req.Sender {
			run.fatalf("block %d (%s) tx %d: result sender %q", h, which, i, res.Sender)
		}
	}
}

func checkStreams(run randomRun, which string, x *replica, ref *refModel) {
	run.t.Helper()
	for _, mem := range ref.all {
		got, want := x.events(mem), ref.streams[mem]
		if len(got) != len(want) {
			run.fatalf("%s: %s has %d events, reference %d", which, short(mem), len(got), len(want))
		}
		for i, ev := range got {
			w := want[i]
			if ev.Counter != int64(i) || ev.TimestampMicros != w.ts || ev.Height != w.height || ev.Kind != w.kind ||
				ev.MessageId != w.msgID || ev.ErrorCode != w.errCode {
				run.fatalf("%s: %s event %d = {counter %d ts %d height %d %v id %q %v}, reference {ts %d height %d %v id %q %v}",
					which, short(mem), i, ev.Counter, ev.TimestampMicros, ev.Height, ev.Kind, ev.MessageId, ev.ErrorCode,
					w.ts, w.height, w.kind, w.msgID, w.errCode)
			}
			if w.kind == pb.EventKind_EVENT_KIND_DELIVER_ERROR {
				if ev.Batch != nil || ev.ErrorReason == "" {
					run.fatalf("%s: %s error event %d carries a batch or no reason", which, short(mem), i)
				}
				continue
			}
			envs := ev.GetBatch().GetEnvelopes()
			if ev.Batch == nil || len(envs) != len(w.envs) {
				run.fatalf("%s: %s event %d has %d envelopes, reference %d", which, short(mem), i, len(envs), len(w.envs))
			}
			for j := range envs {
				if !sameMsg(envs[j], w.envs[j]) {
					run.fatalf("%s: %s event %d envelope %d = %q, reference %q", which, short(mem), i, j, envs[j].Content, w.envs[j].Content)
				}
			}
		}
	}
}

// checkConsistency checks the invariants on the streams alone (DESIGN.md §1.4, §1.5):
// strictly increasing timestamps, common events in the same order, and every envelope at
// all of its recipients or none.
func checkConsistency(run randomRun, x *replica, ref *refModel) {
	run.t.Helper()
	type key struct {
		ts      int64
		content string
	}
	holders := map[key][]string{}
	recipients := map[key]*pb.Envelope{}
	tsOf := map[string][]int64{}
	for _, mem := range ref.all {
		for i, ev := range x.events(mem) {
			if i > 0 && ev.TimestampMicros <= tsOf[mem][i-1] {
				run.fatalf("%s: timestamp %d after %d", short(mem), ev.TimestampMicros, tsOf[mem][i-1])
			}
			tsOf[mem] = append(tsOf[mem], ev.TimestampMicros)
			for _, env := range ev.GetBatch().GetEnvelopes() {
				k := key{ev.TimestampMicros, string(env.Content)}
				holders[k] = append(holders[k], mem)
				recipients[k] = env
				if !ref.addressed(env, mem) {
					run.fatalf("%s received envelope %q at %d that does not name it", short(mem), env.Content, ev.TimestampMicros)
				}
			}
		}
	}
	for k, env := range recipients {
		for _, mem := range ref.all {
			if ref.addressed(env, mem) != slices.Contains(holders[k], mem) {
				run.fatalf("envelope %q at %d: delivered to %v, but %s is addressed=%v", k.content, k.ts, holders[k], short(mem), ref.addressed(env, mem))
			}
		}
	}
	for _, m1 := range ref.all {
		for _, m2 := range ref.all {
			var c1, c2 []int64
			for _, ts := range tsOf[m1] {
				if slices.Contains(tsOf[m2], ts) {
					c1 = append(c1, ts)
				}
			}
			for _, ts := range tsOf[m2] {
				if slices.Contains(tsOf[m1], ts) {
					c2 = append(c2, ts)
				}
			}
			if !slices.Equal(c1, c2) {
				run.fatalf("%s and %s see common events in different orders", short(m1), short(m2))
			}
		}
	}
}
