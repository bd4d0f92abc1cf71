package portal

// apiProblem is an API's RFC 9457 answer.
type apiProblem struct {
	Detail string `json:"detail"`
	Errors []struct {
		Field  string `json:"field"`
		Detail string `json:"detail"`
	} `json:"errors"`
}

func (p apiProblem) fields() map[string]string {
	m := map[string]string{}
	for _, e := range p.Errors {
		if _, ok := m[e.Field]; !ok {
			m[e.Field] = e.Detail
		}
	}
	return m
}
