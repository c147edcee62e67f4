package authz

// MayRunAs reports whether the roles let their user act as target (the
// es-security-runas-user header): some role's run_as lists the name, a
// wildcard or a /regular expression/ matching it, as Elasticsearch matches
// run_as. It says nothing about whether target exists.
func (e *Evaluator) MayRunAs(roles []string, target string) bool {
	s := e.subject("", roles)
	for _, r := range s.roles {
		for _, p := range r.runAs {
			if p.Matches(target) {
				return true
			}
		}
	}
	return false
}

// MayRunAs is Evaluator.MayRunAs against the current roles.
func (s *RoleStore) MayRunAs(roles []string, target string) bool {
	return s.current.Load().MayRunAs(roles, target)
}
