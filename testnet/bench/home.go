package bench

import (
	"path/filepath"

	cmtlog "github.com/cometbft/cometbft/libs/log"

	"github.com/cometsync/cometsync/app"
	topopb "github.com/cometsync/cometsync/proto/topologypb"
)

// initBenchHomeRPC creates a one-validator home with the production CometBFT settings
// that both systems share, CometBFT's RPC server on rpcAddr (none when empty), and a
// genesis with no members (the sequencer bench adds its own).
func initBenchHomeRPC(home, rpcAddr string) (*app.HomeInfo, error) {
	p2p, err := app.FreeAddress()
	if err != nil {
		return nil, err
	}
	cfg := app.DefaultConfig()
	cfg.APIListenAddress = "127.0.0.1:0"
	cfg.MetricsListenAddress = ""
	info, err := app.InitHome(app.HomeOptions{Home: home, Moniker: "bench", P2PAddress: "tcp://" + p2p, RPCAddress: rpcAddr, Config: cfg})
	if err != nil {
		return nil, err
	}
	g, err := app.NewSynchronizerGenesis("bench", filepath.Join(home, "config", app.NamespaceKeyFile), nil, topopb.OnboardingPolicy_ONBOARDING_POLICY_PERMISSIONED)
	if err != nil {
		return nil, err
	}
	doc, err := app.NewGenesisDoc("bench", g, []*app.HomeInfo{info})
	if err != nil {
		return nil, err
	}
	return info, app.WriteGenesis(doc, home)
}

func cmtLogger() cmtlog.Logger { return cmtlog.NewNopLogger() }
