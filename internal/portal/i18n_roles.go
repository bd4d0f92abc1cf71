package portal

// The built-in roles come with an English description (identity's first
// migration). A page in another language shows the description in that
// language as long as an administrator has not written their own.
func init() {
	addMessages(map[Lang]map[string]string{
		English: {
			"role.builtin.admin":   "Administrators: accounts, roles and the catalogue",
			"role.builtin.staff":   "Staff: chairs and the examination office; record grades",
			"role.builtin.student": "Students: their own programme, enrolments and grades",
		},
		German: {
			"role.builtin.admin":   "Administration: Konten, Rollen und der Studienkatalog",
			"role.builtin.staff":   "Lehrende: Lehrstühle und Prüfungsamt; erfassen Noten",
			"role.builtin.student": "Studierende: ihr eigener Studiengang, ihre Einschreibungen und Noten",
		},
	})
}

// RoleText is a role's description on this page: a built-in role's own
// description in the page's language, unless an administrator changed it.
func (p page) RoleText(r role) string {
	key := "role.builtin." + r.Name
	if r.Builtin && r.Description == messages[English][key] {
		return T(p.Lang, key)
	}
	return r.Description
}
