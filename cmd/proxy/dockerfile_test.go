package main

import (
	"bufio"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// No Docker engine runs on the machines this project is built on, so the
// image itself cannot be built in CI. These tests check what can be checked
// without one: the Dockerfile's shape (a build stage, a minimal final stage
// running as a non-root user) and that its build command, run here, yields
// a static binary, the property the distroless/static base relies on.

// dockerStage is one FROM … block of the Dockerfile.
type dockerStage struct {
	from, name   string
	instructions []string // "RUN …", "USER …", continuation lines joined
}

func readDockerfile(t *testing.T) []dockerStage {
	t.Helper()
	f, err := os.Open("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var stages []dockerStage
	var pending string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasSuffix(line, `\`) {
			pending += strings.TrimSuffix(line, `\`) + " "
			continue
		}
		line, pending = pending+line, ""
		fields := strings.Fields(line)
		if strings.EqualFold(fields[0], "FROM") {
			st := dockerStage{from: fields[1]}
			if len(fields) == 4 && strings.EqualFold(fields[2], "AS") {
				st.name = fields[3]
			}
			stages = append(stages, st)
			continue
		}
		if len(stages) == 0 {
			t.Fatalf("Dockerfile: %q before the first FROM", line)
		}
		stages[len(stages)-1].instructions = append(stages[len(stages)-1].instructions, line)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return stages
}

func instruction(st dockerStage, keyword string) []string {
	var out []string
	for _, in := range st.instructions {
		if f := strings.Fields(in); strings.EqualFold(f[0], keyword) {
			out = append(out, strings.TrimSpace(in[len(f[0]):]))
		}
	}
	return out
}

func TestDockerfileShape(t *testing.T) {
	stages := readDockerfile(t)
	if len(stages) < 2 {
		t.Fatalf("want a multi-stage build, got %d stage(s)", len(stages))
	}
	final := stages[len(stages)-1]
	if !strings.HasPrefix(final.from, "gcr.io/distroless/static") {
		t.Errorf("final stage FROM %s: want a distroless static base (no shell, no libc)", final.from)
	}
	users := instruction(final, "USER")
	if len(users) == 0 {
		t.Fatal("final stage has no USER: the image would run as root")
	}
	user := strings.SplitN(users[len(users)-1], ":", 2)[0]
	if user == "root" || user == "0" {
		t.Errorf("final stage runs as %q", users[len(users)-1])
	}
	copied := strings.Join(instruction(final, "COPY"), "\n")
	for _, want := range []string{"--from=" + stages[0].name + " /out/proxy", "config.example.yaml"} {
		if !strings.Contains(copied, want) {
			t.Errorf("final stage COPY lacks %q:\n%s", want, copied)
		}
	}
	if ep := instruction(final, "ENTRYPOINT"); len(ep) != 1 || !strings.Contains(ep[0], "/usr/local/bin/proxy") {
		t.Errorf("ENTRYPOINT %v: want the proxy binary", ep)
	}
}

// goBuildLine matches the build stage's go build command.
var goBuildLine = regexp.MustCompile(`^(.*?)\bgo build (.*) -o /out/proxy (\./cmd/proxy)$`)

// TestDockerfileBuildsAStaticBinary runs the build stage's go build
// command, as written in the Dockerfile, and checks the result is a static
// executable: no program interpreter, no shared libraries.
func TestDockerfileBuildsAStaticBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the proxy")
	}
	var cmdline string
	for _, run := range instruction(readDockerfile(t)[0], "RUN") {
		if strings.Contains(run, "go build") {
			cmdline = run
		}
	}
	m := goBuildLine.FindStringSubmatch(cmdline)
	if m == nil {
		t.Fatalf("build stage: no `… go build … -o /out/proxy ./cmd/proxy` in %q", cmdline)
	}
	env := strings.Fields(m[1])
	if !slices.Contains(env, "CGO_ENABLED=0") {
		t.Errorf("the build does not set CGO_ENABLED=0: %q", cmdline)
	}
	args := []string{"build"}
	// The flags as the shell would split them: -ldflags takes one quoted
	// argument; ${VERSION} is the ARG default.
	flags := strings.ReplaceAll(m[2], "${VERSION}", "dev")
	for len(flags) > 0 {
		flags = strings.TrimSpace(flags)
		if strings.HasPrefix(flags, `"`) {
			end := strings.Index(flags[1:], `"`)
			if end < 0 {
				t.Fatalf("unbalanced quote in %q", m[2])
			}
			args = append(args, flags[1:end+1])
			flags = flags[end+2:]
			continue
		}
		f, rest, _ := strings.Cut(flags, " ")
		args = append(args, f)
		flags = rest
	}
	out := filepath.Join(t.TempDir(), "proxy")
	args = append(args, "-o", out, "github.com/portcullis-proxy/portcullis/cmd/proxy")
	cmd := exec.Command("go", args...)
	cmd.Env = append(os.Environ(), env...)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, b)
	}
	bin, err := elf.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer bin.Close()
	for _, p := range bin.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("the binary has a program interpreter: it is dynamically linked")
		}
	}
	if libs, _ := bin.ImportedLibraries(); len(libs) > 0 {
		t.Errorf("the binary needs shared libraries %v", libs)
	}
	v, err := exec.Command(out, "version").CombinedOutput()
	if err != nil || !strings.Contains(string(v), "dev") {
		t.Errorf("%s version: %v %q", out, err, v)
	}
}
