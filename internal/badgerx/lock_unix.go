//go:build unix

package badgerx

import (
	"errors"
	"os"
	"syscall"
)

// held reports whether a process holds the badger database in dir: badger keeps an
// exclusive flock on the directory while open. It takes the lock for a moment and
// releases it.
func held(dir string) (bool, error) {
	f, err := os.Open(dir)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return true, nil
		}
		return false, err
	}
	return false, syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
}
