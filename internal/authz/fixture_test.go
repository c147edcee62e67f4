package authz

import (
	"bufio"
	"os"
	"strings"
	"testing"
	"time"
)

// The security corpus fixture (/work/shared/security-corpus): its roles.yml
// and users_roles are copied under testdata; seedMetadata mirrors what its
// seed.sh creates in the cluster.

// fixtureNow is the clock of fixture decisions (date math).
var fixtureNow = time.Date(2024, 3, 5, 22, 30, 0, 0, time.UTC)

// backingIndex is the payroll-stream backing index as Elasticsearch 8 names
// it (.ds-<stream>-<yyyy.MM.dd>-<generation>).
const backingIndex = ".ds-payroll-stream-2024.02.01-000001"

// seedMetadata is the cluster as seed.sh leaves it.
func seedMetadata() *Metadata {
	return NewMetadata(seedIndices(), seedAliases(), seedDataStreams())
}

func seedIndices() []ConcreteIndex {
	return []ConcreteIndex{
		{Name: "logs-acme-2024", Aliases: []string{"logs-all", "logs-acme-view", "everything"}},
		{Name: "logs-globex-2024", Aliases: []string{"logs-all", "everything"}},
		{Name: "hr-payroll", Aliases: []string{"everything", "logs-payroll-alias"}},
		{Name: "logs-alerts"},
		{Name: "logs-join-2024"},
		{Name: "logs-acme-sandbox"},
		{Name: "logs-acme-dbq"},
		{Name: ".secret-hidden", Hidden: true},
		{Name: backingIndex, Hidden: true},
	}
}

func seedAliases() []Alias {
	return []Alias{
		{Name: "logs-all", Indices: []string{"logs-acme-2024", "logs-globex-2024"}},
		{Name: "logs-acme-view", Indices: []string{"logs-acme-2024"}},
		{Name: "everything", Indices: []string{"logs-acme-2024", "logs-globex-2024", "hr-payroll"}},
		{Name: "logs-payroll-alias", Indices: []string{"hr-payroll"}},
	}
}

func seedDataStreams() []DataStream {
	return []DataStream{{Name: "payroll-stream", Indices: []string{backingIndex}}}
}

// richMetadata is the seeded cluster plus what a real cluster also has, to
// exercise the rules seed.sh does not: a closed index, a hidden alias,
// system indices with their aliases, a second data stream generation.
func richMetadata() *Metadata {
	indices := append(seedIndices(),
		ConcreteIndex{Name: "logs-old-2023", Closed: true},
		ConcreteIndex{Name: "logs-internal-2024", Hidden: true},
		ConcreteIndex{Name: ".security-7", Hidden: true, System: true, Aliases: []string{".security"}},
		ConcreteIndex{Name: ".kibana_1", Hidden: true, System: true, Aliases: []string{".kibana"}},
		ConcreteIndex{Name: "2015", Aliases: []string{"current_year"}},
		ConcreteIndex{Name: "public-2024"},
	)
	aliases := append(seedAliases(), Alias{Name: "logs-shadow", Indices: []string{"logs-internal-2024"}, Hidden: true})
	ds := []DataStream{{Name: "payroll-stream", Indices: []string{backingIndex, ".ds-payroll-stream-2024.03.01-000002"}},
		{Name: "logs-ds", Indices: []string{".ds-logs-ds-2024.03.01-000001"}, FailureIndices: []string{".fs-logs-ds-2024.03.01-000002"}}}
	return NewMetadata(indices, aliases, ds)
}

// fixtureUsers reads testdata/fixture_users_roles: user -> roles.
func fixtureUsers(t testing.TB) map[string][]string {
	t.Helper()
	f, err := os.Open("testdata/fixture_users_roles")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	users := map[string][]string{"zed": nil}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		role, list, ok := strings.Cut(line, ":")
		if !ok || strings.HasPrefix(line, "#") {
			continue
		}
		for _, u := range strings.Split(list, ",") {
			users[strings.TrimSpace(u)] = append(users[strings.TrimSpace(u)], role)
		}
	}
	return users
}

// fixtureEvaluator loads testdata/fixture_roles.yml plus extra roles.
func fixtureEvaluator(t testing.TB, extra string) *Evaluator {
	t.Helper()
	data, err := os.ReadFile("testdata/fixture_roles.yml")
	if err != nil {
		t.Fatal(err)
	}
	rs, probs := ParseRoles("roles.yml", append(data, []byte("\n"+extra)...))
	if len(probs) != 0 {
		t.Fatal(problemStrings(probs))
	}
	return NewEvaluator(rs, WithClock(func() time.Time { return fixtureNow }))
}

// extraRoles are roles the fixture lacks, for the rules it does not cover.
const extraRoles = `
star_reader:
  indices:
    - names: ['*']
      privileges: [read]
year_index:
  indices:
    - names: ['2015']
      privileges: [read]
year_alias:
  indices:
    - names: ['current_year']
      privileges: [read]
stream_reader:
  indices:
    - names: ['payroll-stream']
      privileges: [read]
logs_ds_all:
  indices:
    - names: ['logs-ds']
      privileges: [all]
regex_reader:
  indices:
    - names: ['/logs-20[0-9]{2}.*/']
      privileges: [read]
search_only:
  indices:
    - names: ['logs-*']
      privileges: ['indices:data/read/search']
security_reader:
  indices:
    - names: ['.security*']
      privileges: [read]
      allow_restricted_indices: true
remote_reader:
  remote_indices:
    - clusters: ['logs-remote']
      names: ['*']
      privileges: [read]
`
