package main

import (
	"context"
	"fmt"

	"campus/internal/config"
	identityservice "campus/internal/identity/service"
)

// runConfig prints the effective configuration of a command (serve by
// default) as YAML, secrets redacted, each value with where it came from.
func runConfig(ctx context.Context, e env, args []string) error {
	name := "serve"
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		name, args = args[0], args[1:]
	}
	var s *config.Set
	var validate func() []error
	switch name {
	case "serve":
		c, set := newServeConfig()
		s, validate = set, withAdminPolicy(c.validate, &c.identity)
	case "identity":
		c, set := newIdentityConfig()
		s, validate = set, withAdminPolicy(c.validate, &c.identity)
	case "study":
		c, set := newStudyConfig()
		s, validate = set, c.validate
	case "portal":
		c, set := newPortalConfig()
		s, validate = set, c.validate
	case "migrate":
		c, set := newMigrateConfig()
		s, validate = set, c.validate
	default:
		return &config.UsageError{Command: "config", Problems: []string{
			fmt.Sprintf("unknown command %q: want serve, identity, study, portal or migrate", name)}}
	}
	if err := load(s, e, args, validate); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "# campus %s: effective configuration (flag > environment > file > default)\n", name)
	s.Print(e.stdout)
	return nil
}

// withAdminPolicy adds the password policy's verdict on the first
// administrator's password, which a server checks only when it creates
// the administrator.
func withAdminPolicy(validate func() []error, c *identityservice.Config) func() []error {
	return func() []error {
		errs := validate()
		if err := c.Admin.CheckPassword(c.PasswordPolicy()); err != nil {
			errs = append(errs, err)
		}
		return errs
	}
}
