package cursor

import (
	"bytes"
	"strings"
	"testing"
)

func TestFilterAllPITs(t *testing.T) {
	const (
		pitB = "69qFQQEFY3VyLWIWcHRGNnpCSHlTQTJLVnEzTHZvR0Z2dwAWRUs1MFNGbVZUUmVPcmhobXJOb0RPQQAAAAAAAAAAExYzRURtYVpjMlE1LTdSa1lOOGpUMHBnARZwdEY2ekJIeVNBMktWcTNMdm9HRnZ3AAA="
		pitA = "69qFQQIFY3VyLWEWYXhTREUwZ2ZUZnUyRTV5c0xRT3JKQQAWRUs1MFNGbVZUUmVPcmhobXJOb0RPQQAAAAAAAAAAERYzRURtYVpjMlE1LTdSa1lOOGpUMHBnBWN1ci1hFmF4U0RFMGdmVGZ1MkU1eXNMUU9ySkEBFkVLNTBTRm1WVFJlT3JoaG1yTm9ET0EAAAAAAAAAABIWM0VEbWFaYzJRNS03UmtZTjhqVDBwZwEWYXhTREUwZ2ZUZnUyRTV5c0xRT3JKQQAA"
	)
	real := string(fixture(t, "opensearch_get_all_pits_two.json"))
	tests := []struct {
		name    string
		in      string
		own     map[string]string
		want    string
		wantErr bool
	}{
		{name: "keeps the caller's own", in: real, own: map[string]string{pitA: "TOKEN-A", "gone": "TOKEN-GONE"},
			want: `{"pits":[{"pit_id":"TOKEN-A","creation_time":1795749808320,"keep_alive":300000}]}`},
		{name: "keeps both", in: real, own: map[string]string{pitA: "TA", pitB: "TB"},
			want: `{"pits":[{"pit_id":"TB","creation_time":1795749808351,"keep_alive":300000},{"pit_id":"TA","creation_time":1795749808320,"keep_alive":300000}]}`},
		{name: "owns none", in: real, own: nil, want: `{"pits":[]}`},
		{name: "empty list", in: `{"pits":[]}`, own: map[string]string{pitA: "TA"}, want: `{"pits":[]}`},
		{name: "odd entries dropped, other members kept", in: `{"x":1,"pits":[1,{"pit_id":5},{"creation_time":1},{"pit_id":"p","k":true}]}`,
			own: map[string]string{"p": "TP", "5": "T5"}, want: `{"x":1,"pits":[{"pit_id":"TP","k":true}]}`},
		{name: "no pits member", in: `{"other":[]}`, wantErr: true},
		{name: "pits not an array", in: `{"pits":{}}`, wantErr: true},
		{name: "not JSON", in: `{"pits":[`, wantErr: true},
		{name: "too large", in: `{"pits":[` + strings.Repeat(" ", MaxAllPITsResponse) + `]}`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			own := func(id string) (string, bool) { tok, ok := tt.own[id]; return tok, ok }
			err := FilterAllPITs(&out, strings.NewReader(tt.in), own)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("no error; output %s", out.String())
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if out.String() != tt.want {
				t.Errorf("output %s\nwant   %s", out.String(), tt.want)
			}
		})
	}
}
