package main

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pgwal/pgwal/capture"
	"github.com/pgwal/pgwal/codec"
)

// shippedCapture is the capture the truncation and corruption tests use:
// streamed, parallel-streamed and two-phase transactions of PostgreSQL 17,
// binary values, logical messages.
const shippedCapture = "../../testdata/pgoutput/pg17/v4-all.txt"

// inputForm is one capture in one of decode's input forms, with where
// each record lies in it.
type inputForm struct {
	name string
	args []string // the --input flag
	data []byte
	recs []formRecord
}

type formRecord struct {
	start, end int64 // the record's bytes (a text line without its '\n')
	hexStart   int64 // text forms: where its hex digits start
	line       int   // text forms: its 1-based line
	size       int   // bytes of the pgoutput message
}

// inputForms renders a shipped capture as a v1 capture (the file
// itself), a v2 capture, hex lines and a raw wire stream.
func inputForms(t *testing.T, file string) []inputForm {
	t.Helper()
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	r, err := capture.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	v1 := inputForm{name: "v1", data: raw}
	hexForm := inputForm{name: "hex", args: []string{"--input", "hex"}}
	var v2buf bytes.Buffer
	w, err := capture.NewWriter(&v2buf, r.Header())
	if err != nil {
		t.Fatal(err)
	}
	v2 := inputForm{name: "v2"}
	for {
		rec, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		size := len(rec.XLogData.Data)
		end := rec.Offset + int64(bytes.IndexByte(raw[rec.Offset:], '\n'))
		v1.recs = append(v1.recs, formRecord{start: rec.Offset, end: end, line: rec.Line, size: size,
			hexStart: rec.Offset + int64(bytes.LastIndexByte(raw[rec.Offset:end], ' ')) + 1})

		start := int64(len(hexForm.data))
		hexForm.data = append(hexForm.data, hex.EncodeToString(rec.XLogData.Data)...)
		hexForm.recs = append(hexForm.recs, formRecord{start: start, end: int64(len(hexForm.data)), hexStart: start,
			line: len(hexForm.recs) + 1, size: size})
		hexForm.data = append(hexForm.data, '\n')

		start = w.Offset()
		if err := w.WriteXLogData(&rec.XLogData); err != nil {
			t.Fatal(err)
		}
		v2.recs = append(v2.recs, formRecord{start: start, end: w.Offset(), size: size})
	}
	v2.data = v2buf.Bytes()
	// A wire stream is the v2 records without the header.
	head := v2.recs[0].start
	wireForm := inputForm{name: "wire", args: []string{"--input", "wire"}, data: v2.data[head:]}
	for _, rec := range v2.recs {
		wireForm.recs = append(wireForm.recs, formRecord{start: rec.start - head, end: rec.end - head, size: rec.size})
	}
	return []inputForm{v1, v2, hexForm, wireForm}
}

func (f inputForm) text() bool { return f.name == "v1" || f.name == "hex" }

// decodeForm decodes data as pgwal decode does with f's flags, to the
// protocol view.
func decodeForm(f inputForm, data []byte) (string, error) {
	o := decodeOptions{format: "auto", output: "messages"}
	if len(f.args) == 2 {
		o.format = f.args[1]
	}
	var out bytes.Buffer
	err := decodeStream("-", bytes.NewReader(data), o, &out)
	return out.String(), err
}

// errPosition returns the line (text forms) or byte offset (binary forms)
// an error names, from the typed errors in its chain.
func errPosition(err error) (line int, offset int64) {
	var ce *capture.Error
	if errors.As(err, &ce) {
		return ce.Line, ce.Offset
	}
	var de *decodeError
	if errors.As(err, &de) {
		return de.Line, de.Offset
	}
	return 0, -1
}

// pickRecords: the first, the middle, the largest and the last record
// whose message has at least 3 bytes (a cut inside it leaves a line).
func pickRecords(recs []formRecord) []int {
	var ok []int
	largest := -1
	for i, r := range recs {
		if r.size >= 3 {
			ok = append(ok, i)
			if largest < 0 || r.size > recs[largest].size {
				largest = i
			}
		}
	}
	return []int{ok[0], ok[len(ok)/2], largest, ok[len(ok)-1]}
}

// Input cut inside a record, in every form: decode prints every record
// before the cut, exactly as it prints them from the uncut input, then
// fails with a typed error naming the cut record's line or byte offset.
func TestDecodeTruncatedInput(t *testing.T) {
	for _, f := range inputForms(t, shippedCapture) {
		whole, err := decodeForm(f, f.data)
		if err != nil {
			t.Fatalf("%s: the uncut input: %v", f.name, err)
		}
		if n := strings.Count(whole, "\n"); n != len(f.recs) {
			t.Fatalf("%s: %d records printed %d lines", f.name, len(f.recs), n)
		}
		for _, i := range pickRecords(f.recs) {
			rec := f.recs[i]
			// Text: keep 1, 3, all but 2 and all but 1 hex digits (an odd
			// count is not hex, an even one a message cut short).
			// Binary: keep 1 byte, the 5 of the header, half, all but 1.
			cuts := []int64{rec.start + 1, rec.start + 5, (rec.start + rec.end) / 2, rec.end - 1}
			if f.text() {
				digits := rec.end - rec.hexStart
				cuts = []int64{rec.hexStart + 1, rec.hexStart + 3, rec.end - 2, rec.end - 1}
				if digits < 6 {
					t.Fatalf("%s: record %d has %d hex digits", f.name, i+1, digits)
				}
			}
			before, err := decodeForm(f, f.data[:rec.start])
			if err != nil {
				t.Fatalf("%s: the records before record %d: %v", f.name, i+1, err)
			}
			for _, cut := range cuts {
				t.Run(fmt.Sprintf("%s/record %d/cut at %d", f.name, i+1, cut), func(t *testing.T) {
					out, err := decodeForm(f, f.data[:cut])
					if err == nil {
						t.Fatal("no error")
					}
					if d := cmp.Diff(before, out); d != "" {
						t.Errorf("output before the error (-the records before the cut +got):\n%s", d)
					}
					line, off := errPosition(err)
					if f.text() {
						if line != rec.line {
							t.Errorf("error names line %d, want %d: %v", line, rec.line, err)
						}
						var want error = codec.ErrTruncated
						if (cut-rec.hexStart)%2 == 1 {
							want = hex.ErrLength
						}
						if !errors.Is(err, want) {
							t.Errorf("error is not %v: %v", want, err)
						}
						return
					}
					if off != rec.start {
						t.Errorf("error names byte offset %d, want %d: %v", off, rec.start, err)
					}
					if !errors.Is(err, capture.ErrTruncated) {
						t.Errorf("error is not capture.ErrTruncated: %v", err)
					}
					if !strings.Contains(err.Error(), fmt.Sprintf("byte offset %d", rec.start)) {
						t.Errorf("error text names no offset: %v", err)
					}
				})
			}
		}
	}
}
