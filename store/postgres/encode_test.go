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
	p, ok := args[0].(presizer)
	if !ok {
		t.Fatalf("first column is a %T, want presized", args[0])
	}
	bytes0, first0 := p.unwrap()
	plain := append([]any{first0}, args[1:]...)
	want := encodeAll(t, pgtype.NewMap(), oids, plain)
	got := encodeAll(t, presizingMap(), oids, args)
	if !bytes.Equal(got, want) {
		t.Fatalf("presized encoding differs from the plain one (%d and %d bytes)", len(got), len(want))
	}
	if bytes0 < len(want) || bytes0 > len(want)+len(want)/10 {
		t.Errorf("presized for %d bytes, encoded %d: want at least that, and not 10 %% more", bytes0, len(want))
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

// TestPresizedTypes: columns of different Go types presized for one type map each
// encode as themselves (pgx caches a plan per Go type of the argument).
func TestPresizedTypes(t *testing.T) {
	m := presizingMap()
	a, b := "a", "b"
	cols := []struct {
		oid uint32
		col any
	}{
		{pgtype.TextArrayOID, []string{"x", "y"}},
		{pgtype.TextArrayOID, []*string{&a, nil, &b}},
		{pgtype.Int8ArrayOID, []int64{1, 2}},
		{pgtype.Int8ArrayOID, []int{3}},
		{pgtype.TimestamptzArrayOID, []time.Time{time.Unix(1, 0)}},
		{pgtype.TimestamptzArrayOID, []*time.Time{nil}},
		{pgtype.TextArrayOID, []string{"z"}},
	}
	for _, c := range cols {
		want, err := pgtype.NewMap().Encode(c.oid, pgtype.BinaryFormatCode, c.col, nil)
		if err != nil {
			t.Fatalf("%T: %v", c.col, err)
		}
		got, err := m.Encode(c.oid, pgtype.BinaryFormatCode, presize(c.col, 64), nil)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%T presized: %x, %v; want %x", c.col, got, err, want)
		}
	}
}

// BenchmarkEncodeBatch: the arguments of a restock batch's insert of 1,000
// notifications encoded as pgx does, with and without presized.
//
//	go test -run '^$' -bench EncodeBatch ./store/postgres/
func BenchmarkEncodeBatch(b *testing.B) {
	rows, oids := batchRows(1000)
	args := transpose(rows)
	_, first := args[0].(presizer).unwrap()
	plain := append([]any{first}, args[1:]...)
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
