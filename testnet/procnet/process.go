package procnet

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	"github.com/cometsync/cometsync/internal/tlsconf"
	"github.com/cometsync/cometsync/participant/ledgerapi"
	ledgerpb "github.com/cometsync/cometsync/proto/ledgerapipb"
)

const (
	pidFile       = "node.pid"
	memberPidFile = "member.pid"
)

// StartNode launches node i as `binary node start --home HOME`, detached, logging to
// HOME/node.log, and records its pid.
func StartNode(m *Manifest, i int, binary string) error {
	return launch(m.Nodes[i].Home, pidFile, "node.log", fmt.Sprintf("node %d", i), binary, "node", "start", "--home", m.Nodes[i].Home)
}

// StartMember launches member j (a mediator or participant) with `binary mediator|
// participant start`, detached, logging to HOME/member.log.
func StartMember(m *Manifest, j int, binary string) error {
	mem := m.Members[j]
	kind := "participant"
	if mem.Kind == "MED" {
		kind = "mediator"
	}
	return launch(mem.Home, memberPidFile, "member.log", kind+" "+mem.ID, binary, kind, "start", "--home", mem.Home, "--wrapper-key-file", m.WrapperKeyFile)
}

func launch(home, pid, logName, what, binary string, args ...string) error {
	if p, ok := runningPid(home, pid); ok {
		return fmt.Errorf("%s is already running (pid %d)", what, p)
	}
	log, err := os.OpenFile(filepath.Join(home, logName), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer log.Close()
	cmd := exec.Command(binary, args...)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", what, err)
	}
	go func() { _ = cmd.Wait() }() // reap it when it exits
	return os.WriteFile(filepath.Join(home, pid), []byte(strconv.Itoa(cmd.Process.Pid)), 0o600)
}

// Signal sends sig to node i's process.
func Signal(m *Manifest, i int, sig syscall.Signal) error {
	pid, ok := runningPid(m.Nodes[i].Home, pidFile)
	if !ok {
		return fmt.Errorf("node %d is not running", i)
	}
	return syscall.Kill(pid, sig)
}

// StopNode sends SIGTERM and waits up to timeout for the process to exit, then kills it.
func StopNode(m *Manifest, i int, timeout time.Duration) error {
	return stop(m.Nodes[i].Home, pidFile, timeout)
}

// StopMember stops member j like StopNode.
func StopMember(m *Manifest, j int, timeout time.Duration) error {
	return stop(m.Members[j].Home, memberPidFile, timeout)
}

// MemberRunning reports whether member j's process runs.
func MemberRunning(m *Manifest, j int) bool {
	_, ok := runningPid(m.Members[j].Home, memberPidFile)
	return ok
}

func stop(home, pidName string, timeout time.Duration) error {
	pid, ok := runningPid(home, pidName)
	if !ok {
		return nil
	}
	_ = syscall.Kill(pid, syscall.SIGTERM)
	deadline := time.Now().Add(timeout)
	for alive(pid) && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond) // no event tells that another process exited
	}
	if alive(pid) {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	return os.Remove(filepath.Join(home, pidName))
}

func runningPid(home, name string) (int, bool) {
	b, err := os.ReadFile(filepath.Join(home, name))
	if err != nil {
		return 0, false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || !alive(pid) {
		return 0, false
	}
	return pid, true
}

func alive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	// A zombie (exited, not yet reaped) is not alive.
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	return err != nil || !strings.Contains(string(b), ") Z ")
}

// NodeStatus is what Status reports for one node.
type NodeStatus struct {
	Running bool
	Height  int64
	// EarliestHeight is the lowest block the node still stores: it rises as the node
	// prunes (CometBFT drops the blocks below the application's pruning height).
	EarliestHeight int64
	AppHash        string
	Peers          int
	CatchingUp     bool
	Err            error
}

// Status queries every node's RPC.
func Status(ctx context.Context, m *Manifest) []NodeStatus {
	out := make([]NodeStatus, len(m.Nodes))
	for i, n := range m.Nodes {
		_, out[i].Running = runningPid(n.Home, pidFile)
		if !out[i].Running {
			continue
		}
		c, err := rpchttp.New(n.RPC, "/websocket")
		if err != nil {
			out[i].Err = err
			continue
		}
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		st, err := c.Status(cctx)
		if err == nil {
			out[i].Height, out[i].AppHash, out[i].CatchingUp = st.SyncInfo.LatestBlockHeight, st.SyncInfo.LatestAppHash.String(), st.SyncInfo.CatchingUp
			out[i].EarliestHeight = st.SyncInfo.EarliestBlockHeight
			if ni, err := c.NetInfo(cctx); err == nil {
				out[i].Peers = ni.NPeers
			}
		}
		out[i].Err = err
		cancel()
	}
	return out
}

// WaitHeight polls node i's RPC until it reports height h (no event crosses processes).
func WaitHeight(ctx context.Context, m *Manifest, i int, h int64) error {
	c, err := rpchttp.New(m.Nodes[i].RPC, "/websocket")
	if err != nil {
		return err
	}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		st, err := c.Status(ctx)
		if err == nil && st.SyncInfo.LatestBlockHeight >= h {
			return nil
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			return fmt.Errorf("node %d never reached height %d: %w", i, h, errors.Join(ctx.Err(), err))
		}
	}
}

// AppHashAt returns node i's app hash after height h (from the header of block h+1).
func AppHashAt(ctx context.Context, m *Manifest, i int, h int64) (string, error) {
	c, err := rpchttp.New(m.Nodes[i].RPC, "/websocket")
	if err != nil {
		return "", err
	}
	next := h + 1
	res, err := c.Commit(ctx, &next)
	if err != nil {
		return "", err
	}
	return res.AppHash.String(), nil
}

// MemberStatus is what MemberStatuses reports for one mediator or participant.
type MemberStatus struct {
	Running bool
	// LedgerEnd is a participant's ledger end, read through its Ledger API as its
	// participant_admin user (so it also shows the participant is serving).
	LedgerEnd int64
	Err       error
}

// MemberStatuses reports every member's process and, for participants, the ledger end.
func MemberStatuses(ctx context.Context, m *Manifest) []MemberStatus {
	out := make([]MemberStatus, len(m.Members))
	for j, mem := range m.Members {
		out[j].Running = MemberRunning(m, j)
		if !out[j].Running || mem.LedgerAPI == "" {
			continue
		}
		out[j].LedgerEnd, out[j].Err = ledgerEnd(ctx, mem, m.TLSCAFile)
	}
	return out
}

// ledgerEnd asks mem's Ledger API for its end, over TLS verified with caFile when set.
func ledgerEnd(ctx context.Context, mem MemberInfo, caFile string) (int64, error) {
	secret, err := ledgerapi.ReadSecretFile(filepath.Join(mem.Home, "jwt-secret"))
	if err != nil {
		return 0, err
	}
	tok, err := ledgerapi.MintToken(secret, ledgerapi.DefaultAdminUser, "", time.Minute)
	if err != nil {
		return 0, err
	}
	creds, err := tlsconf.Client{CAFile: caFile}.DialOption()
	if err != nil {
		return 0, err
	}
	conn, err := grpc.NewClient(mem.LedgerAPI, creds)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	cctx, cancel := context.WithTimeout(metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+tok), 2*time.Second)
	defer cancel()
	res, err := ledgerpb.NewStateServiceClient(conn).GetLedgerEnd(cctx, &ledgerpb.GetLedgerEndRequest{})
	if err != nil {
		return 0, err
	}
	return res.Offset, nil
}
