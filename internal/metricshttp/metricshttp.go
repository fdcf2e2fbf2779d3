package metricshttp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Path is where the metrics are served.
const Path = "/metrics"

// Server serves metrics until Close.
type Server struct {
	lis  net.Listener
	srv  *http.Server
	done chan struct{}
}

// WithRuntime adds the default registry (Go runtime and process metrics) to g.
func WithRuntime(g prometheus.Gatherer) prometheus.Gatherer {
	if g == prometheus.DefaultGatherer {
		return g
	}
	return prometheus.Gatherers{g, prometheus.DefaultGatherer}
}

// Listen listens on addr (host:port; port 0 picks a free one) and serves g's metrics at
// /metrics. log (nil discards) reports a server that stops on its own.
func Listen(addr string, g prometheus.Gatherer, log *slog.Logger) (*Server, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen for metrics on %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle(Path, promhttp.HandlerFor(g, promhttp.HandlerOpts{ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}))
	s := &Server{lis: lis, srv: &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		if err := s.srv.Serve(lis); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics server stopped", "err", err)
		}
	}()
	log.Info("metrics listening", "address", "http://"+lis.Addr().String()+Path)
	return s, nil
}

// Addr is the address the server listens on.
func (s *Server) Addr() net.Addr { return s.lis.Addr() }

// URL is the address of the metrics page.
func (s *Server) URL() string { return "http://" + s.lis.Addr().String() + Path }

// Close stops the server: scrapes in progress get a second to finish.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	err := s.srv.Shutdown(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		err = s.srv.Close()
	}
	<-s.done
	return err
}
