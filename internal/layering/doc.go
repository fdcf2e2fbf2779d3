// Package layering holds no code: its test asserts the dependency rules of the
// repository's layout (see README, "Architecture"). The deterministic cores and the wire
// contracts must not reach I/O, servers or metrics: they are the parts replay must
// reproduce, and the parts a reader should be able to understand on their own.
package layering
