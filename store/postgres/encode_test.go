package postgres

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
)

// batchRows are n rows of the shapes transpose takes, with a ~5 kB rendered email
// each, as in a restock batch's insert of notifications.
func batchRows(n int) ([][]any, []uint32) {
	html := strings.Repeat("<p style=\"margin:0 0 16px\">Good news: it is back in stock.</p>", 80)
	rows := make([][]any, n)
	for i := range rows {
		var empty *string
		reason := "restocked"
		rows[i] = []any{fmt.Sprint("ntf_", i), html + fmt.Sprint(i), &reason, empty, i, int64(i),
			time.Unix(int64(i), 0), (*time.Time)(nil)}
	}
	oids := []uint32{pgtype.TextArrayOID, pgtype.TextArrayOID, pgtype.TextArrayOID, pgtype.TextArrayOID,
		pgtype.Int8ArrayOID, pgtype.Int8ArrayOID, pgtype.TimestamptzArrayOID, pgtype.TimestamptzArrayOID}
	return rows, oids
}

// encodeAll encodes args as pgx does a statement's parameters: one after the other
// into one buffer of 256 bytes to begin with.
func encodeAll(tb testing.TB, m *pgtype.Map, oids []uint32, args []any) []byte {
	buf := make([]byte, 0, 256)
	for i, a := range args {
		var err error
		if buf, err = m.Encode(oids[i], pgtype.BinaryFormatCode, a, buf); err != nil {
			tb.Fatalf("encode argument %d: %v", i, err)
		}
	}
	return buf
}

func presizingMap() *pgtype.Map {
	m := pgtype.NewMap()
	m.TryWrapEncodePlanFuncs = append([]pgtype.TryWrapEncodePlanFunc{tryWrapPresized}, m.TryWrapEncodePlanFuncs...)
	return m
}

// TestTransposePresized: transpose's first column makes room for every column at
// once, and the bytes sent are those of the columns as they are.
func TestTransposePresized(t *testing.T) {
	rows, oids := batchRows(300)
	args := transpose(rows)
	p, ok := args[0].(presized)
	if !ok {
		t.Fatalf("first column is a %T, want presized", args[0])
	}
	plain := append([]any{p.value}, args[1:]...)
	want := encodeAll(t, pgtype.NewMap(), oids, plain)
	got := encodeAll(t, presizingMap(), oids, args)
	if !bytes.Equal(got, want) {
		t.Fatalf("presized encoding differs from the plain one (%d and %d bytes)", len(got), len(want))
	}
	if p.bytes < len(want) || p.bytes > len(want)+len(want)/10 {
		t.Errorf("presized for %d bytes, encoded %d: want at least that, and not 10 %% more", p.bytes, len(want))
	}
	// Encoding the first column made room for all: the buffer is never reallocated.
	m, buf := presizingMap(), make([]byte, 0, 256)
	buf, err := m.Encode(oids[0], pgtype.BinaryFormatCode, args[0], buf)
	if err != nil {
		t.Fatal(err)
	}
	first := &buf[:1][0]
	for i := 1; i < len(args); i++ {
		if buf, err = m.Encode(oids[i], pgtype.BinaryFormatCode, args[i], buf); err != nil {
			t.Fatal(err)
		}
	}
	if &buf[:1][0] != first {
		t.Errorf("the buffer was reallocated after the first column")
	}
}

// BenchmarkEncodeBatch: the arguments of a restock batch's insert of 1,000
// notifications encoded as pgx does, with and without presized.
//
//	go test -run '^$' -bench EncodeBatch ./store/postgres/
func BenchmarkEncodeBatch(b *testing.B) {
	rows, oids := batchRows(1000)
	args := transpose(rows)
	plain := append([]any{args[0].(presized).value}, args[1:]...)
	for _, c := range []struct {
		name string
		m    *pgtype.Map
		args []any
	}{{"grown", pgtype.NewMap(), plain}, {"presized", presizingMap(), args}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				encodeAll(b, c.m, oids, c.args)
			}
		})
	}
}
