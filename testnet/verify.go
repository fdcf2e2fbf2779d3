package testnet

import (
	"path/filepath"

	"github.com/cometsync/cometsync/driver"
)

// VerifyConfig is verified reads with the network's CometBFT genesis (node 0's
// config/genesis.json) as the trust root, for members' driver configurations.
func (n *Network) VerifyConfig() (driver.VerifyConfig, error) {
	return driver.GenesisVerifyConfig(filepath.Join(n.Homes[0].Home, "config", "genesis.json"))
}
