package helper

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"oauth2cred/helper/lifecycle"
	"oauth2cred/helper/service"
	"oauth2cred/protocol"
)

// DockerOps are the docker credential-helper operations.
var DockerOps = []string{"get", "store", "erase", "list", "version"}

// Docker answers one docker credential-helper operation, for docker,
// podman, skopeo, buildah, crane and helm (SPEC §5b): the same host
// matching, routing, sign-in and refresh as git. As the protocol has it
// (docker-credential-helpers' credentials.Serve), a failure's message is
// the answer on stdout too, with exit status 1 or more: docker shows it.
func Docker(ctx context.Context, set *lifecycle.Settings, op string, stdin io.Reader, stdout io.Writer) error {
	err := docker(ctx, set, op, stdin, stdout)
	if err != nil && !errors.Is(err, errNoRegistryService) {
		fmt.Fprintln(stdout, set.Redact.Redact(err.Error()))
	}
	return err
}

// errNoRegistryService is the not-found answer, whose stdout line is the
// protocol's own (dockerNotFound writes it).
var errNoRegistryService = errors.New("no service serves this registry (its hosts, in --host or the config file)")

func docker(ctx context.Context, set *lifecycle.Settings, op string, stdin io.Reader, stdout io.Writer) error {
	switch op {
	case "version":
		_, err := fmt.Fprintln(stdout, "docker-credential-oauth2cred (oauth2cred)")
		return err
	case "store":
		// The token lives in our store; the tool's copy adds nothing.
		io.Copy(io.Discard, io.LimitReader(stdin, 1<<20))
		return nil
	case "list":
		return dockerList(set, stdout)
	case "get", "erase":
	case "":
		return Usagef("docker needs an operation: get, store, erase, list or version; see 'oauth2cred docker --help'")
	default:
		return Usagef("unknown docker operation %q; tools call get, store, erase, list or version; see 'oauth2cred docker --help'", op)
	}
	server, err := protocol.ReadDockerServer(stdin)
	if err != nil {
		return Usagef("%w", err)
	}
	scheme, host, err := protocol.DockerHost(server)
	if err != nil {
		return Usagef("%w", err)
	}
	if allHosts(set) {
		name, err := routeConfig(set, scheme, host)
		if err != nil {
			return err
		}
		if name == "" {
			return dockerNotFound(stdout, host)
		}
		set = set.For(name, nil)
	}
	s, err := lifecycle.Open(set, lifecycle.Use{})
	if err != nil {
		return err
	}
	defer s.Close()
	if !s.Service().ServesHost(scheme, host) {
		return dockerNotFound(stdout, host)
	}
	if op == "erase" {
		return s.DropAccess(ctx)
	}
	_, value, _, err := s.HandOut(ctx)
	if err != nil {
		return err
	}
	b, _ := json.Marshal(protocol.DockerCredential{ServerURL: server, Username: registryUser(s.Service().Definition), Secret: value})
	_, err = stdout.Write(append(b, '\n'))
	return err
}

// dockerNotFound is the protocol's answer for a registry no service
// serves: the tool then tries its other credentials.
func dockerNotFound(stdout io.Writer, host string) error {
	fmt.Fprintln(stdout, protocol.DockerNotFound)
	return errNoRegistryService
}

// registryUser is the user name container tools get.
func registryUser(d service.Definition) string {
	if d.RegistryUsername != "" {
		return d.RegistryUsername
	}
	return d.Username
}

// dockerList answers list: every host of the config file's services (or of
// the service named) with its user name.
func dockerList(set *lifecycle.Settings, stdout io.Writer) error {
	entries := map[string]string{}
	add := func(s *service.Service) {
		for _, h := range s.Hosts {
			if _, taken := entries[h]; !taken {
				entries[h] = registryUser(s.Definition)
			}
		}
	}
	if !allHosts(set) {
		s, err := lifecycle.Open(set, lifecycle.Use{})
		if err != nil {
			return err
		}
		defer s.Close()
		add(s.Service())
	} else if cfg, err := set.Config(); err == nil {
		for _, n := range cfg.Names() {
			if svc, err := service.Resolve(n, cfg.Definitions()[n]); err == nil {
				add(svc)
			}
		}
	}
	b, err := protocol.EncodeDockerList(entries)
	if err != nil {
		return err
	}
	_, err = stdout.Write(append(b, '\n'))
	return err
}
