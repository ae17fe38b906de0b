package main

import (
	"context"
	"flag"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"
)

// Domain is the domain every case uses.
const Domain = "bench"

// chains are the repositories setup creates per format: a store repository with
// the external connection (when that upstream is configured) and the repository
// clients use, with the store as its upstream — the layout the README teaches.
var chains = []struct{ key, format, store, app, connection string }{
	{"npm", "npm", "npm-store", "npm", "public:npmjs"},
	{"pypi", "pypi", "pypi-store", "py", "public:pypi"},
	{"maven", "maven", "maven-store", "mvn", "public:maven-central"},
}

// setup is idempotent: what exists already is kept.
func setup(args []string) error {
	fs := flag.NewFlagSet("setup", flag.ContinueOnError)
	endpoint := fs.String("endpoint", "", "wharf base URL")
	ups := fs.String("upstreams", "", "comma-separated formats whose store repository gets its external connection (npm,pypi,maven)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx := context.Background()
	ca := client(*endpoint, 4)
	if _, err := ca.CreateDomain(ctx, &codeartifact.CreateDomainInput{Domain: aws.String(Domain)}); ignoreConflict(err) != nil {
		return err
	}
	want := map[string]bool{}
	for _, u := range strings.Split(*ups, ",") {
		want[strings.TrimSpace(u)] = true
	}
	create := func(name string, upstream string) error {
		in := &codeartifact.CreateRepositoryInput{Domain: aws.String(Domain), Repository: aws.String(name)}
		if upstream != "" {
			in.Upstreams = []types.UpstreamRepository{{RepositoryName: aws.String(upstream)}}
		}
		_, err := ca.CreateRepository(ctx, in)
		return ignoreConflict(err)
	}
	for _, c := range chains {
		if err := create(c.store, ""); err != nil {
			return err
		}
		if want[c.key] {
			d, err := ca.DescribeRepository(ctx, &codeartifact.DescribeRepositoryInput{Domain: aws.String(Domain), Repository: aws.String(c.store)})
			if err != nil {
				return err
			}
			if len(d.Repository.ExternalConnections) == 0 {
				if _, err := ca.AssociateExternalConnection(ctx, &codeartifact.AssociateExternalConnectionInput{
					Domain: aws.String(Domain), Repository: aws.String(c.store), ExternalConnection: aws.String(c.connection),
				}); err != nil {
					return err
				}
			}
		}
		if err := create(c.app, c.store); err != nil {
			return err
		}
		ep, err := ca.GetRepositoryEndpoint(ctx, &codeartifact.GetRepositoryEndpointInput{
			Domain: aws.String(Domain), Repository: aws.String(c.app), Format: types.PackageFormat(c.format),
		})
		if err != nil {
			return err
		}
		fmt.Printf("%s_URL=%s\n", strings.ToUpper(c.key), aws.ToString(ep.RepositoryEndpoint))
	}
	if err := create("gen", ""); err != nil {
		return err
	}
	tok, err := ca.GetAuthorizationToken(ctx, &codeartifact.GetAuthorizationTokenInput{Domain: aws.String(Domain)})
	if err != nil {
		return err
	}
	fmt.Printf("TOKEN=%s\n", aws.ToString(tok.AuthorizationToken))
	return nil
}
