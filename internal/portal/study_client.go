package portal

// studentRow is one line of a lecture's grade entry table.
type studentRow struct {
	Subject      string `json:"subject"`
	Grade        string `json:"grade"`
	Attempt      int    `json:"attempt"`
	Status       string `json:"status"`
	AttemptsUsed int    `json:"attempts_used"`
	Name         string `json:"-"`
	Input        string `json:"-"` // the grade chosen in the form
	Error        string `json:"-"`
}

type csvReport struct {
	DryRun   bool `json:"dry_run"`
	Applied  bool `json:"applied"`
	Accepted int  `json:"accepted"`
	Refused  int  `json:"refused"`
	Rows     []struct {
		Line    int    `json:"line"`
		Subject string `json:"subject"`
		Grade   string `json:"grade"`
		Attempt int    `json:"attempt"`
		Result  string `json:"result"`
		Reason  string `json:"reason"`
	} `json:"rows"`
}

type lectureResult struct {
	LectureID    string `json:"lecture_id"`
	Code         string `json:"code"`
	Title        string `json:"title"`
	HoursPerWeek int    `json:"hours_per_week"`
	Grade        string `json:"grade"`
	Attempt      int    `json:"attempt"`
	Status       string `json:"status"`
}

type moduleResult struct {
	ModuleID            string          `json:"module_id"`
	Code                string          `json:"code"`
	Title               string          `json:"title"`
	Credits             int             `json:"credits"`
	Compulsory          bool            `json:"compulsory"`
	RecommendedSemester int             `json:"recommended_semester"`
	Status              string          `json:"status"`
	Mark                string          `json:"mark"`
	Lectures            []lectureResult `json:"lectures"`
}

type overview struct {
	Programme       programmeItem  `json:"programme"`
	CreditsEarned   int            `json:"credits_earned"`
	CreditsRequired int            `json:"credits_required"`
	Progress        float64        `json:"progress"`
	Mean            string         `json:"mean"`
	Modules         []moduleResult `json:"modules"`
}
