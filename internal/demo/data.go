package demo

// The demo catalogue: a B.Sc. and an M.Sc. in Computer Science of a German
// university, with modules shared by both. Each module is taught as a
// lecture and exercises (or a lab), hours per week as in a module
// handbook.

type demoModule struct {
	code, title   string
	credits       int
	lectureHours  int
	exerciseHours int
	examination   string
	responsible   string
	bsc, msc      int // recommended semester in the programme, 0: not part of it
	bscElective   bool
	mscElective   bool
	directExam    bool // one examination for the module (a module grade)
}

var demoModules = []demoModule{
	{"INF-B-110", "Introduction to Programming", 10, 4, 2, "written exam", "Prof. Dr. Weber", 1, 0, false, false, false},
	{"INF-B-120", "Mathematics for Computer Science I", 10, 4, 2, "written exam", "Prof. Dr. Schulz", 1, 0, false, false, false},
	{"INF-B-130", "Computer Architecture", 5, 2, 2, "written exam", "Dr. Hoffmann", 1, 0, false, false, false},
	{"INF-B-140", "Foundations of Theoretical Computer Science", 5, 2, 2, "written exam", "Prof. Dr. Wagner", 1, 0, false, false, false},
	{"INF-B-210", "Algorithms and Data Structures", 10, 4, 2, "written exam", "Prof. Dr. Becker", 2, 0, false, false, false},
	{"INF-B-220", "Mathematics for Computer Science II", 10, 4, 2, "written exam", "Prof. Dr. Schulz", 2, 0, false, false, false},
	{"INF-B-230", "Software Engineering", 5, 2, 2, "project", "Prof. Dr. Fischer", 2, 0, false, false, true},
	{"INF-B-240", "Databases", 5, 2, 2, "written exam", "Dr. Richter", 3, 0, false, false, false},
	{"INF-B-310", "Operating Systems", 5, 2, 2, "written exam", "Prof. Dr. Klein", 3, 0, false, false, false},
	{"INF-B-320", "Computer Networks", 5, 2, 2, "written exam", "Prof. Dr. Wolf", 3, 0, false, false, false},
	{"INF-B-330", "Logic and Discrete Structures", 5, 2, 2, "oral exam", "Prof. Dr. Wagner", 3, 0, false, false, false},
	{"INF-B-410", "Software Project", 10, 0, 6, "project", "Prof. Dr. Fischer", 4, 0, false, false, true},
	{"INF-B-420", "Information Security", 5, 2, 2, "written exam", "Prof. Dr. Neumann", 4, 2, false, false, false},
	{"INF-B-430", "Human-Computer Interaction", 5, 2, 2, "written exam", "Dr. Schwarz", 4, 0, true, false, false},
	{"INF-B-440", "Statistics", 5, 2, 2, "written exam", "Dr. Zimmermann", 4, 0, false, false, false},
	{"INF-B-510", "Compiler Construction", 5, 2, 2, "oral exam", "Prof. Dr. Braun", 5, 1, true, true, false},
	{"INF-B-520", "Machine Learning", 5, 2, 2, "written exam", "Prof. Dr. Hartmann", 5, 1, true, false, false},
	{"INF-B-530", "Distributed Systems", 5, 2, 2, "written exam", "Prof. Dr. Wolf", 5, 2, true, true, false},
	{"INF-B-610", "Bachelor Seminar", 5, 0, 2, "presentation", "Prof. Dr. Becker", 6, 0, false, false, true},
	{"INF-M-110", "Advanced Algorithms", 10, 4, 2, "oral exam", "Prof. Dr. Becker", 0, 1, false, false, false},
	{"INF-M-120", "Semantics of Programming Languages", 5, 2, 2, "oral exam", "Prof. Dr. Braun", 0, 1, false, true, false},
	{"INF-M-130", "Deep Learning", 5, 2, 2, "written exam", "Prof. Dr. Hartmann", 0, 1, false, true, false},
	{"INF-M-210", "Cryptography", 5, 2, 2, "oral exam", "Prof. Dr. Neumann", 0, 2, false, false, false},
	{"INF-M-220", "Database Systems Implementation", 5, 2, 2, "oral exam", "Dr. Richter", 0, 2, false, true, false},
	{"INF-M-230", "Cloud Computing", 5, 2, 2, "project", "Prof. Dr. Klein", 0, 2, false, true, true},
	{"INF-M-240", "Research Methods", 5, 2, 0, "paper", "Prof. Dr. Fischer", 0, 2, false, false, true},
	{"INF-M-310", "Master Project", 15, 0, 8, "project", "Prof. Dr. Wolf", 0, 3, false, false, true},
	{"INF-M-320", "Formal Verification", 5, 2, 2, "oral exam", "Prof. Dr. Wagner", 0, 3, false, true, false},
	{"INF-M-330", "Natural Language Processing", 5, 2, 2, "written exam", "Prof. Dr. Hartmann", 0, 3, false, true, false},
	{"INF-M-410", "Master Seminar", 5, 0, 2, "presentation", "Prof. Dr. Becker", 0, 4, false, false, true},
}

type demoPerson struct {
	username, given, family string
	role                    string
	programme               string // bsc, msc or "" for staff
	semester                int
}

var demoPeople = []demoPerson{
	{"anna.lehmann", "Anna", "Lehmann", "student", "bsc", 3},
	{"ben.krueger", "Ben", "Krüger", "student", "bsc", 5},
	{"clara.vogel", "Clara", "Vogel", "student", "msc", 2},
	{"david.haas", "David", "Haas", "student", "bsc", 2},
	{"emma.roth", "Emma", "Roth", "student", "msc", 3},
	{"f.weber", "Franziska", "Weber", "staff", "", 0},
	{"g.schulz", "Georg", "Schulz", "staff", "", 0},
}
