package core_test

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/cometsync/cometsync/abci/core"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
	"github.com/cometsync/cometsync/seqapi"
)

// benchBlock returns a block of n submissions from rotating senders, each with one envelope
// of size bytes to recipients members, valid over a fresh chain at t0.
func benchBlock(f *fixture, n, size, recipients int) [][]byte {
	senders := []string{f.id("PAR::alice"), f.id("PAR::bob"), f.id("PAR::carol")}
	content := bytes.Repeat([]byte{0xab}, size)
	txs := make([][]byte, n)
	for i := range txs {
		sender := senders[i%len(senders)]
		var rs []*pb.Recipient
		for j := 0; len(rs) < recipients; j++ {
			if m := f.members[(i+j)%len(f.members)]; m != sender {
				rs = append(rs, to(m))
			}
		}
		txs[i] = f.sign(&pb.SubmissionRequest{
			Sender: sender, MessageId: fmt.Sprintf("bench-%d", i), MaxSequencingTimeMicros: t0 + 1000,
			Batch: &pb.Batch{Envelopes: []*pb.Envelope{{Recipients: rs, Content: content}}},
		})
	}
	return txs
}

func benchFixture(b *testing.B) *fixture {
	return newFixture(b, core.DefaultParameters(), stdMembers...)
}

// BenchmarkExecuteBlock executes a block of 100 submissions over a fresh chain. With
// sigs=cold every iteration uses a new Machine, so every signature is verified; with
// sigs=warm the machine's signature cache already holds them (the usual case: CheckTx saw
// the transactions before FinalizeBlock).
func BenchmarkExecuteBlock(b *testing.B) {
	f := benchFixture(b)
	x := f.newReplica(b)
	for _, size := range []int{256, 4096} {
		for _, recipients := range []int{1, 4} {
			for _, cold := range []bool{true, false} {
				name := fmt.Sprintf("txs=100/size=%d/recipients=%d/sigs=%s", size, recipients, map[bool]string{true: "cold", false: "warm"}[cold])
				b.Run(name, func(b *testing.B) {
					txs := benchBlock(f, 100, size, recipients)
					blk := core.Block{Height: 1, TimeMicros: t0, Txs: txs}
					var total int64
					for _, tx := range txs {
						total += int64(len(tx))
					}
					b.SetBytes(total)
					b.ReportAllocs()
					m := core.NewMachine(f.g)
					for b.Loop() {
						if cold {
							b.StopTimer()
							m = core.NewMachine(f.g)
							b.StartTimer()
						}
						out, err := m.Execute(x.r, blk)
						if err != nil {
							b.Fatal(err)
						}
						if out.TxResults[99].Code != seqapi.CodeOK {
							b.Fatalf("tx refused: %+v", out.TxResults[99])
						}
					}
				})
			}
		}
	}
}

// BenchmarkCheck admits one submission to 4 recipients. sigs=cold verifies the signature
// every time (a new Machine per iteration); sigs=warm is a mempool recheck that hits the
// signature cache.
func BenchmarkCheck(b *testing.B) {
	f := benchFixture(b)
	x := f.newReplica(b)
	for _, size := range []int{256, 4096} {
		for _, cold := range []bool{true, false} {
			b.Run(fmt.Sprintf("size=%d/sigs=%s", size, map[bool]string{true: "cold", false: "warm"}[cold]), func(b *testing.B) {
				tx := benchBlock(f, 1, size, 4)[0]
				b.SetBytes(int64(len(tx)))
				b.ReportAllocs()
				m := core.NewMachine(f.g)
				for b.Loop() {
					if cold {
						b.StopTimer()
						m = core.NewMachine(f.g)
						b.StartTimer()
					}
					if _, err := m.Check(x.r, tx, t0); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkExecuteBlockStreams is BenchmarkExecuteBlock (100 submissions of 256 bytes to 4
// recipients, signatures warm) over a state that already holds the streams of `streams`
// other members: the counters root of the app hash covers every stream, so this shows
// what it costs per block as the chain grows. The machine keeps the counter leaves and
// the tree's hashes, so a block rehashes the paths of the members it changed (all leaves
// right of a member's first event, which moves them: with streams > 0 the block's members
// have streams already). Compare with the same benchmark on a version without the
// counters root for the commitment's cost.
func BenchmarkExecuteBlockStreams(b *testing.B) {
	f := benchFixture(b)
	for _, streams := range []int{0, 1000, 10000} {
		b.Run(fmt.Sprintf("streams=%d", streams), func(b *testing.B) {
			x := f.newReplica(b)
			var ws []core.Write
			for i := range streams {
				ws = append(ws, core.Write{Key: core.KeyCounter(fmt.Sprintf("PAR::other%05d::1220", i)), Value: mustMarshal(&pb.MemberCounter{Next: int64(i + 1)})})
			}
			if streams > 0 { // the block's members have streams too: the steady state, no member's first event
				for _, m := range f.members {
					ws = append(ws, core.Write{Key: core.KeyCounter(m), Value: mustMarshal(&pb.MemberCounter{Next: 1})})
				}
			}
			x.r.Apply(ws)
			m, err := core.LoadMachine(x.r)
			if err != nil {
				b.Fatal(err)
			}
			txs := benchBlock(f, 100, 256, 4)
			blk := core.Block{Height: 1, TimeMicros: t0, Txs: txs}
			if _, err := m.Execute(x.r, blk); err != nil { // warms the signature cache
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				out, err := m.Execute(x.r, blk)
				if err != nil {
					b.Fatal(err)
				}
				if out.TxResults[99].Code != seqapi.CodeOK {
					b.Fatalf("tx refused: %+v", out.TxResults[99])
				}
			}
		})
	}
}

// BenchmarkProveBlockEvents is what a subscription with proofs adds per block of 100
// submissions to 4 recipients: loading the block's proof records and building its tree
// (once per block, shared by the subscribers), then proving each of one recipient's
// events (recomputing its leaf from the event as served).
func BenchmarkProveBlockEvents(b *testing.B) {
	f := benchFixture(b)
	x := f.newReplica(b)
	out := x.exec(t0, benchBlock(f, 100, 256, 4)...)
	member := f.id("PAR::bob")
	evs := x.events(member)
	b.ReportAllocs()
	for b.Loop() {
		bp, err := core.LoadBlockProof(x.r, out.Meta.Height)
		if err != nil {
			b.Fatal(err)
		}
		for _, ev := range evs {
			if _, err := bp.Prove(member, ev); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(len(evs)), "events/block")
}
