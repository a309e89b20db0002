//go:build !(linux && (amd64 || arm64 || 386 || arm || riscv64 || loong64 || s390x))

package wire

import "errors"

const lowatSupported = false

func setLowat(uintptr, int) (int, error) { return 0, errors.ErrUnsupported }

func queued(uintptr) (int, error) { return 0, errors.ErrUnsupported }

func readFD(uintptr, []byte) (int, error) { return 0, errors.ErrUnsupported }
