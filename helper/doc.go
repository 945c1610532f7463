// Package helper holds oauth2cred's commands, thin over the packages
// below it: the protocols' answers (git, kubectl, docker), set-up of other
// programs' files (git config, docker config, kubeconfigs, through their
// formats' parsers), status, doctor and the config file commands. What a
// service is lives in service, one account's token over time in
// lifecycle, what differs by system in platform.
package helper
