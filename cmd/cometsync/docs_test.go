package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/cometsync/cometsync/app"
)

// TestMain lets the docs' scripts run `cometsync` as a command: testscript re-executes
// this test binary under that name, which then runs main (no separate build).
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){"cometsync": main})
}

// docsAwait bounds every wait of a docs script (a node committing, a participant
// serving, a contract showing up on another participant).
const docsAwait = 2 * time.Minute

// TestDocs runs the command sequences of README.md and docs/*.md, one script per page in
// testdata/docs (docs/testing-docs.md says how a page and its script correspond). Each
// script is the page's commands as written, on one-validator chains, with these
// commands besides testscript's own:
//
//	freeport VAR...              sets each VAR to a free loopback host:port
//	await-serving ADDR [SERVICE] waits until ADDR's gRPC health service says SERVING
//	eventually REGEXP CMD ARGS   runs CMD until its stdout matches REGEXP
//	grab VAR REGEXP [FILE]       sets VAR to REGEXP's first group (else its match) in the last stdout (or FILE)
//	expand SRC DST               copies SRC to DST with $VARS expanded
//	fetch URL [REGEXP]           HTTP GET of URL into stdout (what curl does), repeated until the body matches REGEXP
func TestDocs(t *testing.T) {
	if testing.Short() {
		t.Skip("starts chains and members as processes")
	}
	testscript.Run(t, testscript.Params{
		Dir:                 filepath.Join("testdata", "docs"),
		RequireExplicitExec: true,
		Setup: func(e *testscript.Env) error {
			e.Setenv("HOME", e.WorkDir)
			e.Setenv("COMETSYNC_HOME", filepath.Join(e.WorkDir, ".cometsync"))
			return nil
		},
		Cmds: map[string]func(*testscript.TestScript, bool, []string){
			"freeport":      cmdFreePort,
			"await-serving": cmdAwaitServing,
			"eventually":    cmdEventually,
			"grab":          cmdGrab,
			"expand":        cmdExpand,
			"fetch":         cmdFetch,
		},
	})
}

func cmdFreePort(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: freeport VAR...")
	}
	for _, v := range args {
		a, err := app.FreeAddress()
		ts.Check(err)
		ts.Setenv(v, a)
	}
}

func cmdAwaitServing(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 || len(args) > 2 {
		ts.Fatalf("usage: await-serving ADDR [SERVICE]")
	}
	service := ""
	if len(args) == 2 {
		service = args[1]
	}
	conn, err := grpc.NewClient(args[0], grpc.WithTransportCredentials(insecure.NewCredentials()))
	ts.Check(err)
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), docsAwait)
	defer cancel()
	// Watch streams the status as it changes: the first SERVING ends the wait. Until the
	// server listens the call fails, and is retried at gRPC's reconnection pace.
	for {
		st, err := healthpb.NewHealthClient(conn).Watch(ctx, &healthpb.HealthCheckRequest{Service: service}, grpc.WaitForReady(true))
		if err == nil {
			for {
				r, err := st.Recv()
				if err != nil {
					break
				}
				if r.Status == healthpb.HealthCheckResponse_SERVING {
					return
				}
			}
		}
		if ctx.Err() != nil {
			ts.Fatalf("%s (service %q) not SERVING after %v", args[0], service, docsAwait)
		}
	}
}

func cmdEventually(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: eventually REGEXP CMD ARGS...")
	}
	re, err := regexp.Compile(args[0])
	ts.Check(err)
	deadline := time.Now().Add(docsAwait)
	for backoff := 50 * time.Millisecond; ; backoff = min(2*backoff, time.Second) {
		err := ts.Exec(args[1], args[2:]...)
		if err == nil && re.MatchString(ts.ReadFile("stdout")) {
			return
		}
		if time.Now().After(deadline) {
			ts.Fatalf("%v never printed %q (last error: %v)", args[1:], args[0], err)
		}
		time.Sleep(backoff) // another process applies what the command waits for
	}
}

func cmdGrab(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 || len(args) > 3 {
		ts.Fatalf("usage: grab VAR REGEXP [FILE]")
	}
	file := "stdout"
	if len(args) == 3 {
		file = args[2]
	}
	re, err := regexp.Compile(args[1])
	ts.Check(err)
	m := re.FindStringSubmatch(ts.ReadFile(file))
	if m == nil {
		ts.Fatalf("no match for %q in %s", args[1], file)
	}
	ts.Setenv(args[0], m[len(m)-1])
}

func cmdExpand(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: expand SRC DST")
	}
	s := os.Expand(ts.ReadFile(args[0]), ts.Getenv)
	ts.Check(os.WriteFile(ts.MkAbs(args[1]), []byte(s), 0o600))
}

func cmdFetch(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 || len(args) > 2 {
		ts.Fatalf("usage: fetch URL [REGEXP]")
	}
	re := regexp.MustCompile("")
	if len(args) == 2 {
		var err error
		re, err = regexp.Compile(args[1])
		ts.Check(err)
	}
	deadline := time.Now().Add(docsAwait)
	for backoff := 50 * time.Millisecond; ; backoff = min(2*backoff, time.Second) {
		body, err := httpGet(args[0])
		if err == nil && re.Match(body) {
			_, err = ts.Stdout().Write(body)
			ts.Check(err)
			return
		}
		if time.Now().After(deadline) {
			ts.Fatalf("GET %s never matched %q (last error: %v)", args[0], re, err)
		}
		time.Sleep(backoff) // the server comes up or the value changes in another process
	}
}

func httpGet(url string) ([]byte, error) {
	resp, err := http.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return body, err
}
