//go:build !unix

package wire

// checkKeyFilePerm checks nothing where Unix permissions do not exist (as
// libpq on Windows).
func checkKeyFilePerm(string) error { return nil }
