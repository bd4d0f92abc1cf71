package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"campus/internal/i18n"
	"campus/internal/identity"
	"campus/internal/identity/password"
	"campus/internal/identity/policy"
	"campus/internal/identity/store"
	"campus/internal/problem"
)

// registration is what a person registering as a student sends, by the
// API (JSON) or the registration page (form fields of the same names).
type registration struct {
	Username       string `json:"username"`
	Email          string `json:"email"`
	Password       string `json:"password"`
	DisplayName    string `json:"display_name"`
	GivenName      string `json:"given_name"`
	FamilyName     string `json:"family_name"`
	ProgrammeID    string `json:"programme_id"`
	ProgrammeTitle string `json:"programme_title"`
}

func (in *registration) trim() {
	for _, s := range []*string{&in.Username, &in.Email, &in.DisplayName, &in.GivenName, &in.FamilyName, &in.ProgrammeID, &in.ProgrammeTitle} {
		*s = strings.TrimSpace(*s)
	}
	if in.DisplayName == "" {
		in.DisplayName = strings.TrimSpace(in.GivenName + " " + in.FamilyName)
	}
}

// validate reports every problem of a registration at once.
func (in registration) validate(pw policy.PasswordPolicy) []problem.FieldError {
	var errs []problem.FieldError
	for _, f := range []struct {
		name, value string
		check       func(string) string
	}{
		{"username", in.Username, checkUsername},
		{"email", in.Email, checkEmail},
		{"display_name", in.DisplayName, checkText(200, false)},
		{"given_name", in.GivenName, checkText(100, true)},
		{"family_name", in.FamilyName, checkText(100, true)},
		{"programme_id", in.ProgrammeID, checkText(64, false)},
		{"programme_title", in.ProgrammeTitle, checkText(200, false)},
	} {
		if msg := f.check(f.value); msg != "" {
			errs = append(errs, problem.FieldError{Field: f.name, Detail: msg})
		}
	}
	if in.Password == "" {
		errs = append(errs, problem.FieldError{Field: "password", Detail: "is required"})
	} else if err := pw.Check(in.Password, in.Username, in.Email, in.GivenName, in.FamilyName, in.DisplayName); err != nil {
		errs = append(errs, passwordErrors("password", err)...)
	}
	return errs
}

// registrar creates student accounts for people who register themselves,
// for both the API and the page. Attempts that pass validation are limited
// per client address: they cost a password hash, and a taken username or
// e-mail address tells whether an account exists.
type registrar struct {
	store   *store.Store
	limiter *policy.SharedLimiter // per client address, for the whole deployment
	params  password.Params
	login   *login
	mail    MailDeps
}

func newRegistrar(d Deps, l *login) *registrar {
	perHour := d.RegistrationsPerIPHour
	if perHour <= 0 {
		perHour = 10
	}
	return &registrar{store: d.Store, limiter: policy.NewSharedLimiter("registration/address", d.Store, perHour, time.Hour, perHour, d.Now), params: d.Login.Password, login: l, mail: d.Mail}
}

// registerError is why a registration was refused.
type registerError struct {
	status     int
	detail     string
	fields     []problem.FieldError
	retryAfter int // seconds, for 429 and 503
}

// register creates the account; with mail configured it mails the link
// that confirms the address, queued in the same transaction, else the
// address counts as confirmed.
func (g *registrar) register(ctx context.Context, in registration, ip, language string) (store.AccountRecord, *registerError, error) {
	in.trim()
	if errs := in.validate(g.login.cfg.passwordPolicy()); errs != nil {
		return store.AccountRecord{}, &registerError{status: http.StatusUnprocessableEntity, detail: "Some fields are not right; see errors.", fields: errs}, nil
	}
	if ok, retry, err := g.limiter.Allow(ctx, ip); err != nil {
		return store.AccountRecord{}, nil, err
	} else if !ok {
		wait := retrySeconds(retry)
		return store.AccountRecord{}, &registerError{status: http.StatusTooManyRequests, retryAfter: wait,
			detail: fmt.Sprintf("Too many registrations from your network. Try again in %s.", humanWait(wait))}, nil
	}
	hash, err := password.HashContext(ctx, in.Password, g.params)
	if errors.Is(err, password.ErrBusy) {
		return store.AccountRecord{}, &registerError{status: http.StatusServiceUnavailable, retryAfter: 2, detail: errBusy}, nil
	}
	if err != nil {
		return store.AccountRecord{}, nil, err
	}
	acc := identity.Account{Username: in.Username, Email: in.Email, DisplayName: in.DisplayName,
		GivenName: in.GivenName, FamilyName: in.FamilyName, ProgrammeID: in.ProgrammeID, ProgrammeTitle: in.ProgrammeTitle,
		Roles: []string{identity.RoleStudent}, Locale: registrationLocale(language)}
	asked := acc
	if c := g.mail.Composer; c != nil {
		var is store.Issue
		if is, err = newIssue(c, g.login.now(), acc, identity.TokenConfirmEmail, acc.Email, language); err != nil {
			return store.AccountRecord{}, nil, err
		}
		if acc, err = g.store.RegisterConfirmed(ctx, acc, hash, is); err == nil {
			g.mail.notify()
		}
	} else {
		acc.EmailVerified = true
		acc, err = g.store.Register(ctx, acc, hash)
	}
	var taken *store.TakenError
	if errors.As(err, &taken) {
		// Whether an address has an account is its owner's business: with
		// mail, a taken address is answered as a free one and its owner
		// told. A username must be unique and is shown to others, so a
		// taken one is said (the per-address limit above throttles asking).
		if taken.Email && !taken.Username && g.mail.Composer != nil {
			return g.addressTaken(ctx, asked, ip, language)
		}
		g.login.audit(ctx, identity.AuditEvent{Action: "registered", Outcome: identity.OutcomeFailure, ClientIP: ip, Detail: taken.Error()})
		refused := &registerError{status: http.StatusConflict, detail: "The username is taken."}
		if taken.Username {
			refused.fields = append(refused.fields, problem.FieldError{Field: "username", Detail: "is taken; choose another"})
		}
		// Without mail nobody could tell the owner, so the address is said
		// to be taken.
		if taken.Email && g.mail.Composer == nil {
			refused.detail = takenText(taken)
			refused.fields = append(refused.fields, problem.FieldError{Field: "email", Detail: "has an account already; sign in, or use another address"})
		}
		return store.AccountRecord{}, refused, nil
	}
	if err != nil {
		return store.AccountRecord{}, nil, err
	}
	g.login.audit(ctx, identity.AuditEvent{Action: "registered", Outcome: identity.OutcomeSuccess, Actor: acc.ID, Target: acc.ID,
		ClientIP: ip, Detail: "self-registration as student"})
	rec, err := g.store.AccountRecord(ctx, acc.ID)
	return rec, nil, err
}

// addressTaken answers a registration with an address another account
// has as if it had created the account: no account is made, and the
// owner of the address is told (within ownerNoticesPerHour) that someone
// tried, with a link to reset the password.
func (g *registrar) addressTaken(ctx context.Context, acc identity.Account, ip, language string) (store.AccountRecord, *registerError, error) {
	owner, _, err := g.store.AccountByLogin(ctx, acc.Email)
	if err != nil {
		return store.AccountRecord{}, nil, err
	}
	rc := &recovery{store: g.store, login: g.login, mail: g.mail}
	notice, err := rc.tellOwner(ctx, owner, "registration_attempt_notice", ip, func() (identity.Mail, error) {
		return g.mail.Composer.RegistrationAttempt(owner, language)
	})
	if err != nil {
		return store.AccountRecord{}, nil, err
	}
	if notice.Kind != "" {
		if err := g.store.EnqueueMail(ctx, notice); err != nil {
			return store.AccountRecord{}, nil, err
		}
		g.mail.notify()
	}
	g.login.audit(ctx, identity.AuditEvent{Action: "registered", Outcome: identity.OutcomeFailure, Target: owner.ID, ClientIP: ip,
		Detail: "e-mail address is taken; answered as if free, its owner told"})
	id, err := uuid.NewV7()
	if err != nil {
		return store.AccountRecord{}, nil, err
	}
	now := g.login.now().UTC()
	acc.ID, acc.Status, acc.CreatedAt, acc.UpdatedAt = id.String(), identity.StatusActive, now, now
	return store.AccountRecord{Account: acc, Version: 1}, nil, nil
}

// registrationLocale is the language of the page someone registered on,
// which the portal sends as Accept-Language: it becomes the account's
// language for mails, "" when it names none campus speaks.
func registrationLocale(acceptLanguage string) string {
	for tag := range strings.SplitSeq(acceptLanguage, ",") {
		tag, _, _ = strings.Cut(tag, ";")
		if l, ok := i18n.Parse(tag); ok {
			return string(l)
		}
	}
	return ""
}

func (a *api) handleRegister(w http.ResponseWriter, r *http.Request, _ *principal) {
	w.Header().Set("Cache-Control", "no-store")
	var in registration
	if !decode(w, r, &in, nil) {
		return
	}
	rec, refused, err := a.reg.register(r.Context(), in, clientIP(r), lang(r))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if refused != nil {
		if refused.retryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(refused.retryAfter))
		}
		problem.Write(w, problem.Details{Status: refused.status, Detail: refused.detail, Errors: refused.fields})
		return
	}
	w.Header().Set("Location", a.login.base+"/api/v1/users/"+rec.ID)
	a.writeUser(w, r, http.StatusCreated, rec)
}

// retrySeconds is a Retry-After in whole seconds, rounded up so that a
// client that waits that long finds a token.
func retrySeconds(d time.Duration) int {
	return max(1, int((d+time.Second-1)/time.Second))
}
