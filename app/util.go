package app

import (
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"sync"
)

func trimScheme(addr string) string {
	if i := strings.Index(addr, "://"); i >= 0 {
		return addr[i+3:]
	}
	return addr
}

func joinComma(xs []string) string { return strings.Join(xs, ",") }

// FreeAddress returns a loopback host:port that was free a moment ago. It picks from
// 10000-29999, below Linux's ephemeral range (32768-60999) where the kernel hands out
// ports for outgoing connections and :0 listeners, so that a port reserved this way is
// rarely taken by someone else before the node binds it. Callers that can listen on :0
// and learn the port should do that instead.
func FreeAddress() (string, error) { return FreeAddressIn(10000, 30000) }

// FreeAddressIn is FreeAddress with a port in [lo, hi). Separate OS processes that bind
// long after the ports were chosen (the process testnet) pick from a range of their own,
// so that the in-process tests running beside them cannot take their ports meanwhile.
func FreeAddressIn(lo, hi int) (string, error) {
	for range 200 {
		port := lo + rand.IntN(hi-lo)
		if !handOut(port) {
			continue // this process handed it out already: its owner may not have bound it yet
		}
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			continue
		}
		addr := l.Addr().String()
		if err := l.Close(); err != nil {
			return "", err
		}
		return addr, nil
	}
	return "", fmt.Errorf("no free loopback port found in %d-%d", lo, hi-1)
}

// handedOut are the ports FreeAddressIn returned in this process: a testnet init picks
// many ports before any process binds them, and two picks must not return the same one.
var handedOut struct {
	sync.Mutex
	ports map[int]bool
}

// handOut records port as handed out; false when it was already.
func handOut(port int) bool {
	handedOut.Lock()
	defer handedOut.Unlock()
	if handedOut.ports[port] {
		return false
	}
	if handedOut.ports == nil {
		handedOut.ports = map[int]bool{}
	}
	handedOut.ports[port] = true
	return true
}
