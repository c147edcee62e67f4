package authz

import (
	"testing"
	"time"
)

func TestResolveDateMath(t *testing.T) {
	now := time.Date(2024, 3, 31, 22, 30, 15, 123456789, time.UTC) // a Sunday
	for _, tc := range []struct {
		expr, want, err string
	}{
		{expr: "logs", want: "logs"},
		{expr: "<logs>", want: "logs"},
		{expr: "<logs-{now}>", want: "logs-2024.03.31"},
		{expr: "<logs-{now/d}>", want: "logs-2024.03.31"},
		{expr: "<logs-{now/M}>", want: "logs-2024.03.01"},
		{expr: "<logs-{now/y}>", want: "logs-2024.01.01"},
		{expr: "<logs-{now/w}>", want: "logs-2024.03.25"},
		{expr: "<logs-{now-1d/d}>", want: "logs-2024.03.30"},
		{expr: "<logs-{now+1d}>", want: "logs-2024.04.01"},
		{expr: "<logs-{now-1M}>", want: "logs-2024.02.29"}, // clamped, as java.time does
		{expr: "<logs-{now+11M}>", want: "logs-2025.02.28"},
		{expr: "<logs-{now-2y}>", want: "logs-2022.03.31"},
		{expr: "<logs-{now+2h{yyyy.MM.dd.HH}}>", want: "logs-2024.04.01.00"},
		{expr: "<logs-{now/h{HH:mm:ss}}>", want: "logs-22:00:00"},
		{expr: "<logs-{now{yyyy.MM.dd|+02:00}}>", want: "logs-2024.04.01"},
		{expr: "<logs-{now{yyyy.MM.dd|UTC+2}}>", want: "logs-2024.04.01"},
		{expr: "<logs-{now{yyyy.MM.dd|-1030}}>", want: "logs-2024.03.31"},
		{expr: "<logs-{now/d{yyyy.MM.dd|+02:00}}>", want: "logs-2024.04.01"},
		{expr: "<logs-{now{yy-M-d}}>", want: "logs-24-3-31"},
		{expr: "<logs-{now{YYYY.ww}}>", want: "logs-2024.13"},
		{expr: "<logs-{now{uuuu-MMM-EEE}}>", want: "logs-2024-Mar-Sun"},
		{expr: "<logs-{now{MMMM EEEE a hh KK kk}}>", want: "logs-March Sunday PM 10 10 22"},
		{expr: "<logs-{now{DDD.SSS}}>", want: "logs-091.123"},
		{expr: "<logs-{now{'week'w}}>", want: "logs-week13"},
		{expr: "<logs-{now{''yyyy''}}>", want: "logs-'2024'"},
		{expr: `<logs-{now{yyyy'\{'MM'\}'}}>`, want: "logs-2024{03}"},
		{expr: `<logs-{now{yyyy\{MM\}}}>`, err: "invalid date format [yyyy{MM}]: unsupported character [{] in date format [yyyy{MM}]"},
		{expr: `<\{logs\}-{now/d}>`, want: "{logs}-2024.03.31"},
		{expr: `<lo\\gs>`, want: `lo\gs`},
		{expr: "<{now/d}-{now/M{MM}}>", want: "2024.03.31-03"},
		{expr: "<logs-{now/d>", err: "invalid dynamic name expression [logs-{now/d]. date math placeholder is open ended"},
		{expr: "<logs-}>", err: "invalid dynamic name expression [logs-}]. invalid character at position [6]. `{` and `}` are " +
			"reserved characters and should be escaped when used as part of the index name using `\\` (e.g. `\\{text\\}`)"},
		{expr: "<logs-{now{yyyy{MM}}}>", err: "invalid dynamic name expression [logs-{now{yyyy{MM}}}]. invalid character in placeholder at position [15]"},
		{expr: "<logs-{now{}}>", err: "invalid dynamic name expression [now{}]. missing date format"},
		{expr: "<logs-{now{yyyy}x}>", err: "invalid dynamic name expression [now{yyyy}x]. missing closing `}` for date math format"},
		{expr: "<>", err: "nothing captured"},
		{expr: "<logs-{now*1d}>", err: "operator not supported for date math [*1d]"},
		{expr: "<logs-{now+}>", err: "truncated date math [+]"},
		{expr: "<logs-{now+1}>", err: "truncated date math [+1]"},
		{expr: "<logs-{now/2d}>", err: "rounding `/` can only be used on single unit types [/2d]"},
		{expr: "<logs-{now+1x}>", err: "unit [x] not supported for date math [+1x]"},
		{expr: "<logs-{now+99999999999d}>", err: "invalid number in date math [+99999999999d]"},
		{expr: "<logs-{2024.01.01||+1d}>", err: "unsupported date math expression [2024.01.01||+1d]: only expressions starting with now are supported"},
		{expr: "<logs-{now{yyyy[MM]}}>", err: "invalid date format [yyyy[MM]]: unsupported character [[] in date format [yyyy[MM]]"},
		{expr: "<logs-{now{yyyy-VV}}>", err: "invalid date format [yyyy-VV]: unsupported pattern letter [V] in date format"},
		{expr: "<logs-{now{dd'x}}>", err: "invalid date format [dd'x]: pattern ends with an incomplete string literal"},
		{expr: "<logs-{now{ddd}}>", err: "invalid date format [ddd]: too many pattern letters: d"},
		{expr: "<logs-{now{dd|Mars/Olympus}}>", err: "unknown time zone [Mars/Olympus]"},
		{expr: "<logs-{now{dd|+25:00}}>", err: "invalid time zone offset [+25:00]"},
	} {
		t.Run(tc.expr, func(t *testing.T) {
			got, err := resolveDateMath(tc.expr, now)
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Fatalf("got %q, %v; want error %q", got, err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestJavaYear(t *testing.T) {
	for _, tc := range []struct {
		y, n int
		want string
	}{{2024, 4, "2024"}, {2024, 2, "24"}, {5, 4, "0005"}, {12345, 4, "+12345"}, {-44, 4, "-0044"}, {2024, 1, "2024"}} {
		if got := javaYear(tc.y, tc.n); got != tc.want {
			t.Errorf("javaYear(%d, %d) = %q, want %q", tc.y, tc.n, got, tc.want)
		}
	}
}

func TestResolveDateMathExported(t *testing.T) {
	now := time.Date(2024, 3, 5, 10, 0, 0, 0, time.UTC)
	for in, want := range map[string]string{"logs-1": "logs-1", "<logs-{now/d}>": "logs-2024.03.05", "<logs-{now/M{yyyy.MM}}>": "logs-2024.03"} {
		if got, err := ResolveDateMath(in, now); err != nil || got != want {
			t.Errorf("ResolveDateMath(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}
