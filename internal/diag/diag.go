// Package diag carries problems found while loading configuration and
// security files, located as file:line so operators can fix them.
package diag

import (
	"fmt"
	"strings"
)

// Severity says whether a problem stops a file (or an entry) from being used.
type Severity int

const (
	// Error means the entry or file is invalid: `check` fails, `serve` skips it.
	Error Severity = iota
	// Warning means the entry is used but deserves attention (weak hash…).
	Warning
)

// Problem is one finding in one file.
type Problem struct {
	File     string
	Line     int // 1-based; 0 when the problem concerns the whole file
	Severity Severity
	Message  string
}

// String renders the problem as "file:line: message" (with "warning: " before
// the message for warnings).
func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d", p.Line)
	}
	b.WriteString(": ")
	if p.Severity == Warning {
		b.WriteString("warning: ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// Problems is a list of findings.
type Problems []Problem

// HasErrors reports whether any problem has Error severity.
func (ps Problems) HasErrors() bool {
	for _, p := range ps {
		if p.Severity == Error {
			return true
		}
	}
	return false
}

// Errorf appends an error at file:line.
func (ps *Problems) Errorf(file string, line int, format string, args ...any) {
	*ps = append(*ps, Problem{File: file, Line: line, Severity: Error, Message: fmt.Sprintf(format, args...)})
}

// Warnf appends a warning at file:line.
func (ps *Problems) Warnf(file string, line int, format string, args ...any) {
	*ps = append(*ps, Problem{File: file, Line: line, Severity: Warning, Message: fmt.Sprintf(format, args...)})
}
