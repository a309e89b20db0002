package codec

import "testing"

// The layouts used for error reports describe exactly what the fast paths
// and the encoders handle.
func TestFixedLayouts(t *testing.T) {
	cases := []struct {
		name    string
		layout  fixedLayout
		size    int
		encoded []byte
	}{
		{"Begin", beginLayout, beginSize, AppendBegin(nil, &Begin{})},
		{"Commit", commitLayout, commitSize, AppendCommit(nil, &Commit{})},
		{"Stream Start", streamStartLayout, streamStartSize, AppendStreamStart(nil, &StreamStart{})},
		{"Stream Stop", streamStopLayout, streamStopSize, AppendStreamStop(nil, &StreamStop{})},
		{"Stream Commit", streamCommitLayout, streamCommitSize, AppendStreamCommit(nil, &StreamCommit{})},
		{"Stream Abort", streamAbortLayout, streamAbortSize, AppendStreamAbort(nil, &StreamAbort{})},
		{"Stream Abort parallel", streamAbortParallelLayout, streamAbortParallelSize, AppendStreamAbort(nil, &StreamAbort{Parallel: true})},
	}
	for _, tc := range cases {
		if tc.layout.size() != tc.size || len(tc.encoded) != tc.size {
			t.Errorf("%s: layout %d bytes, constant %d, encoder %d", tc.name, tc.layout.size(), tc.size, len(tc.encoded))
		}
	}
}
