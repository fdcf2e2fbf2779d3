package bench

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/pprof"
	"time"

	"github.com/cometsync/cometsync/abci/core"
	"github.com/cometsync/cometsync/driver"
	"github.com/cometsync/cometsync/participant"
	"github.com/cometsync/cometsync/participant/engine"
)

// ReplayResult is the replay of one participant: a fresh node with its keys and
// configuration rebuilding its state from counter 0 of its stream.
type ReplayResult struct {
	Participant string
	// Events is the length of the participant's stream when the replay started.
	Events int64
	// Elapsed runs from participant.Start until the fresh node's ACS hash equals the
	// original's (connecting and downloading the topology included).
	Elapsed      time.Duration
	EventsPerSec float64
	// LiveACSHash is the original node's ACS hash, ACSHash the replayed node's.
	LiveACSHash, ACSHash []byte
	Contracts            int
	// LiveUpdates and Updates count the committed updates of the original and of the
	// replayed node.
	LiveUpdates, Updates int
	// Verified is the same replay again with verified reads (every event checked against
	// light-client-verified headers), by another fresh node.
	Verified VerifiedReplay
}

// VerifiedReplay is the replay with verified reads.
type VerifiedReplay struct {
	Elapsed      time.Duration
	EventsPerSec float64
	ACSHash      []byte
	// FirstHeight and LastHeight are the heights whose headers were verified.
	FirstHeight, LastHeight int64
}

// counter returns the length of the stream of participant name on node 0.
func (w *e2eWorld) counter(name string) (int64, error) {
	r, release := w.net.Node(0).Snapshot()
	defer release()
	return core.NextCounter(r, w.net.Member(name).ID)
}

// replay stops the replayed participant once the load is over, starts a fresh node with
// its keys and configuration and waits until that node holds the same active contracts.
func (w *e2eWorld) replay(ctx context.Context) (ReplayResult, error) {
	orig := w.nodes[replayNode]
	want := orig.ACS()
	res := ReplayResult{Participant: replayNode, LiveACSHash: engine.ACSHash(want), Contracts: len(want), LiveUpdates: len(orig.Updates())}
	var err error
	if res.Events, err = w.counter(replayNode); err != nil {
		return res, err
	}
	orig.Stop()
	delete(w.nodes, replayNode)
	if w.o.ReplayProfile != "" {
		f, err := os.Create(w.o.ReplayProfile)
		if err != nil {
			return res, err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return res, err
		}
		defer pprof.StopCPUProfile()
	}
	t0 := time.Now()
	n, err := participant.Start(ctx, w.nodeConfig(replayNode))
	if err != nil {
		return res, fmt.Errorf("replay %s: %w", replayNode, err)
	}
	w.nodes[replayNode] = n
	// The stream had res.Events events when the original stopped; the fresh node has
	// replayed them all once it is past that counter.
	if err := n.WaitProgress(ctx, func(p participant.Progress) bool { return p.NextCounter >= res.Events }); err != nil {
		return res, fmt.Errorf("replay %s never reached the end of its stream: %w", replayNode, err)
	}
	res.Elapsed = time.Since(t0)
	res.EventsPerSec = float64(res.Events) / res.Elapsed.Seconds()
	res.ACSHash, res.Updates = engine.ACSHash(n.ACS()), len(n.Updates())
	res.Verified, err = w.verifiedReplay(ctx, res.Events)
	return res, err
}

// verifiedReplay replaces the replayed node by another fresh one with verified reads
// (the chain's genesis as the trust root) and times its replay of the first events.
func (w *e2eWorld) verifiedReplay(ctx context.Context, events int64) (VerifiedReplay, error) {
	w.nodes[replayNode].Stop()
	delete(w.nodes, replayNode)
	cfg := w.nodeConfig(replayNode)
	var err error
	if cfg.Driver.Verify, err = driver.GenesisVerifyConfig(filepath.Join(w.net.Homes[0].Home, "config", "genesis.json")); err != nil {
		return VerifiedReplay{}, err
	}
	t0 := time.Now()
	n, err := participant.Start(ctx, cfg)
	if err != nil {
		return VerifiedReplay{}, fmt.Errorf("verified replay %s: %w", replayNode, err)
	}
	w.nodes[replayNode] = n
	if err := n.WaitProgress(ctx, func(p participant.Progress) bool { return p.NextCounter >= events }); err != nil {
		return VerifiedReplay{}, fmt.Errorf("verified replay %s never reached the end of its stream: %w", replayNode, err)
	}
	v := VerifiedReplay{Elapsed: time.Since(t0), ACSHash: engine.ACSHash(n.ACS())}
	v.EventsPerSec = float64(events) / v.Elapsed.Seconds()
	v.FirstHeight, v.LastHeight = n.VerifiedHeights()
	return v, nil
}

func printReplay(out io.Writer, rep *E2EReport) {
	r := rep.Replay
	ratio := "-"
	if rep.LiveEventRate > 0 {
		ratio = fmt.Sprintf("%.1fx", r.EventsPerSec/rep.LiveEventRate)
	}
	verdict := "equal"
	if !bytes.Equal(r.ACSHash, r.LiveACSHash) {
		verdict = "DIFFERENT"
	}
	fmt.Fprintf(out, "replay of %s: %d events in %v = %.0f events/s; live during the runs %.1f events/s (replay %s live)\n",
		r.Participant, r.Events, r.Elapsed.Round(time.Millisecond), r.EventsPerSec, rep.LiveEventRate, ratio)
	fmt.Fprintf(out, "  ACS hash %s %s (%d contracts; %d updates replayed, %d live)\n",
		hex.EncodeToString(r.ACSHash)[:min(16, 2*len(r.ACSHash))], verdict, r.Contracts, r.Updates, r.LiveUpdates)
	v := r.Verified
	if v.Elapsed > 0 {
		verdict = "equal"
		if !bytes.Equal(v.ACSHash, r.LiveACSHash) {
			verdict = "DIFFERENT"
		}
		fmt.Fprintf(out, "verified replay: %d events in %v = %.0f events/s (%.2f of unverified), headers %d..%d verified, ACS hash %s\n",
			r.Events, v.Elapsed.Round(time.Millisecond), v.EventsPerSec, v.EventsPerSec/r.EventsPerSec, v.FirstHeight, v.LastHeight, verdict)
	}
}
