package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestBinaryBuiltWithoutTagsStartsANode builds cometsync as `go install` does (no build
// tags, whatever GOFLAGS says), initializes a node home with it, and starts the node: it
// must get past node start (CometBFT opening its badger databases) and commit blocks,
// then stop cleanly on SIGINT.
func TestBinaryBuiltWithoutTagsStartsANode(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the cometsync binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "cometsync")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Env = append(os.Environ(), "GOFLAGS=")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	home, rpc := filepath.Join(dir, "home"), freeAddr(t)
	initCmd := exec.Command(bin, "node", "init", "--home", home, "--p2p-laddr", "tcp://"+freeAddr(t),
		"--rpc-laddr", "tcp://"+rpc, "--api-laddr", freeAddr(t), "--metrics-laddr", "")
	if out, err := initCmd.CombinedOutput(); err != nil {
		t.Fatalf("cometsync node init: %v\n%s", err, out)
	}

	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	start := exec.CommandContext(ctx, bin, "node", "start", "--home", home)
	stderr, err := start.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := start.Start(); err != nil {
		t.Fatal(err)
	}
	lines := logLines(t, stderr)
	awaitLine(t, lines, "node started")
	awaitHeight(t, ctx, rpc, 2)

	if err := start.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	awaitLine(t, lines, "shutting down")
	for range lines { // drain so that Wait sees stderr closed
	}
	if err := start.Wait(); err != nil {
		t.Fatalf("cometsync node start exited with %v", err)
	}
}

// logLines forwards the node's log lines to t.Log and to the returned channel, which is
// closed when the log ends.
func logLines(t *testing.T, r io.Reader) <-chan string {
	lines := make(chan string, 1024)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(r)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			t.Log(sc.Text())
			lines <- sc.Text()
		}
	}()
	return lines
}

func awaitLine(t *testing.T, lines <-chan string, want string) {
	t.Helper()
	for line := range lines {
		if strings.Contains(line, want) {
			return
		}
	}
	t.Fatalf("the node's log ended without %q", want)
}

// awaitHeight polls the node's CometBFT RPC (from outside, as an operator would) until
// it reports a block at height h or more.
func awaitHeight(t *testing.T, ctx context.Context, rpc string, h int64) {
	t.Helper()
	for {
		if got := statusHeight(ctx, rpc); got >= h {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("no block at height %d: %v", h, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func statusHeight(ctx context.Context, rpc string) int64 {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+rpc+"/status", nil)
	if err != nil {
		return 0
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	var st struct {
		Result struct {
			SyncInfo struct {
				LatestBlockHeight string `json:"latest_block_height"`
			} `json:"sync_info"`
		} `json:"result"`
	}
	if json.NewDecoder(resp.Body).Decode(&st) != nil {
		return 0
	}
	h, _ := strconv.ParseInt(st.Result.SyncInfo.LatestBlockHeight, 10, 64)
	return h
}
