// Package mdsection replaces a generated section of a Markdown file: the
// text between a start and an end marker line that the file already has.
package mdsection

import (
	"fmt"
	"os"
	"strings"
)

// Update replaces what stands between start and end in the file
// at path with md; the markers stay. Both must be there, in order.
func Update(path, start, end, md string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	s := string(b)
	i, j := strings.Index(s, start), strings.Index(s, end)
	if i < 0 || j < i {
		return fmt.Errorf("%s: no %s … %s section", path, start, end)
	}
	s = s[:i+len(start)] + "\n" + md + s[j:]
	return os.WriteFile(path, []byte(s), 0o644)
}
