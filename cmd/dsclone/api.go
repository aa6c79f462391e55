package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/pflag"

	"github.com/dsclone/dsclone/docusign"
)

// apiFlags are the flags and environment variables that say which Docusign
// to talk to and as whom. A flag beats its environment variable.
//
// The --simulate code fills baseURL, authURL, orgID and accessToken before
// connect, to point the client at an embedded simulator.
type apiFlags struct {
	env            string // --env: demo or production
	baseURL        string // --base-url: the Admin API base, overrides --env
	authURL        string // --auth-url: the OAuth base, overrides --env
	orgID          string // --org, else DOCUSIGN_ORG_ID
	traceHTTP      string // --trace-http FILE
	integrationKey string // --integration-key, else DOCUSIGN_INTEGRATION_KEY
	userID         string // --user-id, else DOCUSIGN_USER_ID
	privateKeyFile string // --private-key-file, else DOCUSIGN_PRIVATE_KEY_FILE
	accessToken    string // DOCUSIGN_ACCESS_TOKEN only: a flag would show in ps

	// getenv reads the environment; nil means os.Getenv.
	getenv func(string) string
}

// register adds the flags to fs.
func (f *apiFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.env, "env", docusign.EnvDemo, "Docusign environment: demo or production")
	fs.StringVar(&f.baseURL, "base-url", "", "Admin API base URL, overriding --env (e.g. the one dsclone sim prints)")
	fs.StringVar(&f.authURL, "auth-url", "", "OAuth base URL, overriding --env")
	fs.StringVar(&f.orgID, "org", "", "organization id (default $"+docusign.EnvOrgID+"; listed when unset)")
	fs.StringVar(&f.traceHTTP, "trace-http", "", "write every HTTP request and response to `FILE` as JSON lines, secrets redacted")
	fs.StringVar(&f.integrationKey, "integration-key", "", "integration key (default $"+docusign.EnvIntegrationKey+")")
	fs.StringVar(&f.userID, "user-id", "", "GUID of the user to impersonate (default $"+docusign.EnvUserID+")")
	fs.StringVar(&f.privateKeyFile, "private-key-file", "", "RSA private key of the integration key, mode 0600 (default $"+docusign.EnvPrivateKeyFile+")")
}

// envName is the environment in effect, "demo" or "production".
func (f *apiFlags) envName() string {
	if f.env == "" {
		return docusign.EnvDemo
	}
	return strings.ToLower(f.env)
}

// config builds the client configuration from the flags and the environment.
func (f *apiFlags) config(a *app) docusign.Config {
	getenv := f.getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	pick := func(flag, env string) string {
		if flag != "" {
			return flag
		}
		return getenv(env)
	}

	// A JWT flag on the command line beats a token left in the environment.
	token := f.accessToken
	if token == "" && f.integrationKey == "" && f.userID == "" && f.privateKeyFile == "" {
		token = getenv(docusign.EnvAccessToken)
	}

	return docusign.Config{
		Env:            f.envName(),
		BaseURL:        f.baseURL,
		AuthURL:        f.authURL,
		OrgID:          pick(f.orgID, docusign.EnvOrgID),
		IntegrationKey: pick(f.integrationKey, docusign.EnvIntegrationKey),
		UserID:         pick(f.userID, docusign.EnvUserID),
		PrivateKeyFile: pick(f.privateKeyFile, docusign.EnvPrivateKeyFile),
		AccessToken:    docusign.Secret(token),
		Logger:         a.log,
	}
}

// connect builds the client. Without an organization id it lists the user's
// organizations: with exactly one it uses it, otherwise it asks for --org.
// The returned func closes the trace file.
func (f *apiFlags) connect(ctx context.Context, a *app) (*docusign.Client, func() error, error) {
	cfg := f.config(a)
	closeTrace := func() error { return nil }
	if f.traceHTTP != "" {
		file, err := os.OpenFile(f.traceHTTP, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			return nil, nil, usageErrorf("--trace-http: %w", err)
		}
		cfg.Trace = file
		closeTrace = file.Close
	}

	client, err := docusign.New(cfg)
	if err != nil {
		_ = closeTrace()
		return nil, nil, usageErrorf("docusign credentials: %w", err)
	}

	if client.OrgID() == "" {
		if client, err = f.pickOrg(ctx, a, client); err != nil {
			_ = closeTrace()
			return nil, nil, err
		}
	}
	return client, closeTrace, nil
}

// pickOrg chooses the user's only organization, or lists them and asks for
// --org.
func (f *apiFlags) pickOrg(ctx context.Context, a *app, client *docusign.Client) (*docusign.Client, error) {
	orgs, err := client.ListOrganizations(ctx)
	if err != nil {
		var consent *docusign.ConsentRequiredError
		if errors.As(err, &consent) {
			return nil, withCode(exitUsage, err)
		}
		return nil, fmt.Errorf("find the organization (or set --org): %w", err)
	}

	switch len(orgs) {
	case 0:
		return nil, usageErrorf("the user belongs to no organization: cloning needs an organization admin; set --org")
	case 1:
		a.log.Info().Str("org_id", orgs[0].ID).Str("org_name", orgs[0].Name).
			Msg("using the user's only organization")
		return client.WithOrg(orgs[0].ID), nil
	}

	fmt.Fprintln(a.stderr, "The user belongs to several organizations:")
	for _, o := range orgs {
		fmt.Fprintf(a.stderr, "  %s  %s\n", o.ID, o.Name)
	}
	return nil, usageErrorf("%d organizations: choose one with --org or %s", len(orgs), docusign.EnvOrgID)
}
