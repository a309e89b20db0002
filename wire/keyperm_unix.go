//go:build unix

package wire

import (
	"fmt"
	"os"
	"syscall"
)

// checkKeyFilePerm applies libpq's rule for a private key file: at most
// u=rw (0600) when the user owns it, at most u=rw,g=r (0640) when root
// owns it (a key shared through a group, as system packages install them).
func checkKeyFilePerm(path string) error {
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file", path)
	}
	perm := st.Mode().Perm()
	if sys, ok := st.Sys().(*syscall.Stat_t); ok && sys.Uid == 0 && os.Getuid() != 0 {
		if perm&0o037 != 0 {
			return fmt.Errorf("%s has group or world access (%#o); it must be u=rw,g=r (0640) or less when owned by root", path, perm)
		}
		return nil
	}
	if perm&0o077 != 0 {
		return fmt.Errorf("%s has group or world access (%#o); it must be u=rw (0600) or less", path, perm)
	}
	return nil
}
