package participant

import (
	"context"
	"log/slog"

	"github.com/cometsync/cometsync/crypto"
	"github.com/cometsync/cometsync/driver"
	"github.com/cometsync/cometsync/topology"
)

// Onboard admits a participant that is not a member of the synchronizer yet: it sends
// its namespace root certificate and its signing and encryption keys to the topology
// manager without a token (under a permissioned synchronizer the owners must also have
// granted it a ParticipantSynchronizerPermission) and returns once it can authenticate.
func Onboard(ctx context.Context, cfg driver.Config, enc crypto.EncryptionPublicKey, logger *slog.Logger) error {
	me, err := crypto.ParseMember(cfg.Member)
	if err != nil {
		return err
	}
	b, err := topology.KeyRegistration(topology.NewState(crypto.UID{}), me, cfg.SigningKey, enc)
	if err != nil {
		return err
	}
	return driver.Onboard(ctx, cfg, b, logger)
}
