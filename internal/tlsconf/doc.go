// Package tlsconf is the one place the gRPC servers and clients of cometsync get their
// transport security from: the sequencer API (app), the Ledger API (participant/daemon),
// the members' sequencer client (driver) and the ledger CLI.
//
// A Server is a certificate and key to serve with, and optionally a client CA: when it
// is set the server requires every client to present a certificate that CA signed
// (mutual TLS). Without a certificate a server is plaintext, which CheckServer allows on
// a loopback listen address only, unless the configuration explicitly allows it.
//
// A Client is a CA to verify the server with (empty: plaintext), an optional server name
// that overrides the dialled host, and an optional client certificate and key for servers
// that require one.
//
// Check functions are structural (no file is read) and return *tomlconf.FieldError
// naming the setting, which each component turns into its own ConfigError. Loading
// (ServerCredentials, Client.DialOption) reads the files and names the file that fails.
// CA and Issue make a certificate authority and certificates for testnets and tests
// (ECDSA P-256, crypto/x509).
package tlsconf
