package portal

import (
	"io/fs"
	"net/http"

	"campus/internal/httpserver"
)

type route struct {
	pattern string
	h       http.Handler
}

// routes is the portal: every page and form it serves. Pages for signed-in
// people are wrapped in requireSession (or requireGrader, requireAdmin,
// which also check the session's permissions); anything else is not found.
func (s *server) routes() []route {
	static, _ := fs.Sub(staticFS, "static")
	return []route{
		// Probes and static files.
		{"GET /healthz", httpserver.Healthz("portal")},
		{"GET /readyz", httpserver.Readyz("portal", s.d.Logger, s.d.Ready...)},
		{"GET /static/", http.StripPrefix("/static/", cacheStatic(httpserver.Files(static)))},
		{"GET /favicon.ico", httpserver.Favicon(static)},
		// Public pages: the catalogue.
		{"GET /{$}", http.HandlerFunc(s.home)},
		{"GET /programmes", http.HandlerFunc(s.catalogue)},
		{"GET /programmes/{id}", http.HandlerFunc(s.programme)},
		// Students: their study and their account.
		{"GET /my", s.requireSession(s.myStudy)},
		{"POST /my/enrol", s.requireSession(s.enrol)},
		{"GET /profile", s.requireSession(s.profile)},
		{"POST /profile", s.requireSession(s.saveProfile)},
		{"POST /profile/password", s.requireSession(s.changePassword)},
		{"POST /profile/sessions", s.requireSession(s.endMySessions)},
		// Messaging (without the messages API: not found).
		{"GET /messaging", s.requireMessaging(s.conversations)},
		{"POST /messaging", s.requireMessaging(s.startConversation)},
		{"GET /messaging/events", http.HandlerFunc(s.events)},
		{"GET /messaging/unread", s.requireMessaging(s.unreadJSON)},
		{"GET /messaging/attachments/{id}", s.requireMessaging(s.attachment)},
		{"GET /messaging/fragments/{id}", s.requireMessaging(s.fragment)},
		{"GET /messaging/{id}", s.requireMessaging(s.conversationPage)},
		{"POST /messaging/{id}/send", s.requireMessaging(s.sendMessage)},
		{"POST /messaging/{id}/messages/{mid}", s.requireMessaging(s.changeMessage)},
		{"POST /messaging/{id}/settings", s.requireMessaging(s.settings)},
		{"POST /profile/presence", s.requireMessaging(s.hidePresence)},
		// Staff: grading (grades:write).
		{"GET /grading", s.requireGrader(s.grading)},
		{"GET /grading/{id}", s.requireGrader(s.lecture)},
		{"POST /grading/{id}", s.requireGrader(s.recordGrades)},
		{"POST /grading/{id}/upload", s.requireGrader(s.uploadCSV)},
		{"GET /grading/{id}/template", s.requireGrader(s.gradeTemplate)},
		// Administration (users:read): accounts and roles.
		{"GET /admin", s.requireAdmin(s.admin)},
		{"POST /admin/directory/sync", s.requireAdmin(s.syncDirectory)},
		{"GET /admin/users", s.requireAdmin(s.users)},
		{"GET /admin/users/{id}", s.requireAdmin(s.user)},
		{"POST /admin/users/{id}", s.requireAdmin(s.changeUser)},
		{"GET /admin/audit", s.requireAdmin(s.audit)},
		{"GET /admin/audit.csv", s.requireAdmin(s.auditCSV)},
		{"GET /admin/roles", s.requireAdmin(s.rolesList)},
		{"POST /admin/roles", s.requireAdmin(s.addRole)},
		{"GET /admin/roles/{name}", s.requireAdmin(s.roleShow)},
		{"POST /admin/roles/{name}", s.requireAdmin(s.roleSave)},
		// Administration: the catalogue, changed with the study token.
		{"GET /admin/programmes", s.requireAdmin(s.adminProgrammes)},
		{"POST /admin/programmes", s.requireAdmin(s.createProgramme)},
		{"GET /admin/programmes/{id}", s.requireAdmin(s.adminProgramme)},
		{"POST /admin/programmes/{id}", s.requireAdmin(s.changeProgramme)},
		{"GET /admin/modules/{id}", s.requireAdmin(s.moduleEditor().show)},
		{"POST /admin/modules/{id}", s.requireAdmin(s.moduleEditor().save)},
		{"GET /admin/lectures/{id}", s.requireAdmin(s.lectureEditor().show)},
		{"POST /admin/lectures/{id}", s.requireAdmin(s.lectureEditor().save)},
		{"POST /admin/unlock", s.requireAdmin(s.unlock)},
		{"POST /admin/lock", s.requireAdmin(s.lock)},
		{"GET /admin/messaging", s.requireAdmin(s.ifMessaging(s.messagingRules))},
		{"POST /admin/messaging", s.requireAdmin(s.ifMessaging(s.saveMessagingRules))},
		// Administration (events:write): events and their generated accounts.
		{"GET /admin/events", s.requireEvents(s.eventsList)},
		{"POST /admin/events", s.requireEvents(s.createEvent)},
		{"GET /admin/events/{id}", s.requireEvents(s.eventShow)},
		{"POST /admin/events/{id}/accounts", s.requireEvents(s.generateAccounts)},
		{"POST /admin/events/{id}/end", s.requireEvents(s.endEvent)},
		// The same-origin API gateway, and API keys for it.
		{"/api/study/", s.gateway("/api/study", s.d.StudyURL, true)},
		{"/api/identity/", s.gateway("/api/identity", s.d.IdentityURL, false)},
		{"GET /api-access", s.requireSession(s.apiAccess)},
		{"POST /api-access", s.requireSession(s.createKey)},
		{"POST /api-access/{id}/revoke", s.requireSession(s.revokeKey)},
		// Registration, sign-in and out, the language.
		{"GET /register", http.HandlerFunc(s.registerPage)},
		{"POST /register", http.HandlerFunc(s.register)},
		{"GET /register/done", http.HandlerFunc(s.registered)},
		{"GET /auth/login", http.HandlerFunc(s.login)},
		{"GET /auth/callback", http.HandlerFunc(s.callback)},
		{"POST /auth/logout", http.HandlerFunc(s.logout)},
		{"POST /auth/backchannel-logout", http.HandlerFunc(s.backchannel)},
		{"GET /lang", http.HandlerFunc(s.switchLang)},
		// Anything else.
		{"/", http.HandlerFunc(s.notFound)},
	}
}

func (s *server) notFound(w http.ResponseWriter, r *http.Request) {
	s.fail(w, r, http.StatusNotFound, T(langOf(r), "error.notfound"))
}
