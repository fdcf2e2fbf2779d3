package app

import (
	"net"
	"strings"
)

func trimScheme(addr string) string {
	if i := strings.Index(addr, "://"); i >= 0 {
		return addr[i+3:]
	}
	return addr
}

func joinComma(xs []string) string { return strings.Join(xs, ",") }

// FreeAddress returns a loopback host:port that was free a moment ago. The port can be
// taken by someone else before it is used; callers that can listen on :0 should.
func FreeAddress() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}
