package main

// The help texts of the commands.

const dockerDescription = `Speaks the docker credential-helper protocol: the registry's host or URL on stdin; get
answers {"ServerURL","Username","Secret"} with a valid access token for the service whose
hosts match (or the one --service names), and "credentials not found in native keychain"
(exit 1) for any other registry; store keeps nothing; erase drops the saved access token so
the next get refreshes; list prints registry host -> user name. Installed as
docker-credential-oauth2cred on PATH, a credHelpers entry "registry.example.com":
"oauth2cred" in ~/.docker/config.json (or containers' auth.json) makes docker, podman,
skopeo, buildah, crane and helm use it; 'oauth2cred setup docker --service NAME' adds them.`

const appDescription = `Gets OAuth 2.0 tokens for a named service and hands them to git (credential
helper), kubectl (exec plugin) and scripts (stdout). The first call signs in
(browser with PKCE, or device code) and asks whether to save the tokens in
.<service>-token; later calls return the saved token or refresh it silently.

Examples:
  # a token for a script, signing in on first use
  oauth2cred token --service demo --issuer https://login.example.com --client-id cli

  # git: answer for gitlab.example.com
  git config --global credential.https://gitlab.example.com.helper \
      "!oauth2cred git --service work-gitlab"

  # CI: client credentials, never a prompt
  oauth2cred token --service ci --flow client-credentials --token-url https://login.example.com/token \
      --client-id ci-bot --client-secret-file /run/secrets/ci-bot --non-interactive

  # CI without a secret: exchange the GitHub Actions job's own ID token
  oauth2cred token --service ci --issuer https://login.example.com --client-id ci \
      --flow token-exchange --subject-token-source github-actions --save

  # a second account on the same host (git: https://bob@host/... picks it)
  oauth2cred login --service work-gitlab --account bob

Flags every command takes (after the command; 'oauth2cred COMMAND --help' lists
all): --service NAME, --account NAME, --config FILE, --token-dir DIR, --save,
--no-save, --non-interactive, --no-browser, --keyring, --timeout 30s,
--login-timeout 5m, --cooldown 10m, --verbose, and the service's definition
(--issuer, --client-id, --scope, …; 'oauth2cred help config' for the file).

Exit status: 0 success, 1 server or store failure, 2 usage or configuration
error, 3 a person is needed but none can be asked.`

const tokenDescription = `Prints a valid token on stdout and nothing else: the saved one, a refreshed
one, or one from a new sign-in.

Examples:
  oauth2cred token --service demo
  curl -H "$(oauth2cred token --service demo --format header)" https://api.example.com/
  eval "$(oauth2cred token --service demo --format env)"
  # the seed library's style: legacy GET token endpoint, separate refresh endpoint
  oauth2cred token --service MyService --client-id ID --client-secret-file secret.txt \
      --auth-url https://example.com/auth --token-url https://example.com/token \
      --refresh-url https://example.com/refresh --method get --scope s1,s2 \
      --param access_type=offline --token-dir .`

const gitDescription = `Answers git's credential-helper protocol (gitcredentials(7)) for the hosts of
the service: https only (http for this machine), silence for any other host
so git asks the next helper.

Examples:
  git config --global credential.https://gitlab.com.helper "!oauth2cred git --service gitlab"
  # with git-credential-oauth2cred (a link to oauth2cred) on PATH:
  git config --global credential.helper "oauth2cred --service gitlab"
  printf 'protocol=https\nhost=gitlab.com\n\n' | oauth2cred git get --service gitlab`

const kubectlDescription = `Answers client-go's exec credential plugin call with an ExecCredential of the
apiVersion kubectl asked for. With interactiveMode Never (or no terminal) it
never prompts: it exits 3 with a one-line error kubectl shows.

Examples:
  oauth2cred setup kubectl --service oidc --issuer https://login.example.com --client-id kube
  kubectl config set-credentials oidc --exec-api-version=client.authentication.k8s.io/v1 \
      --exec-interactive-mode=IfAvailable --exec-command=oauth2cred \
      --exec-arg=kubectl --exec-arg=--service=oidc --exec-arg=--token-type=id_token`
